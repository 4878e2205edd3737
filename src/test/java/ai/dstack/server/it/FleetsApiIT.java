package ai.dstack.server.it;

import static ai.dstack.server.it.Expect.body;
import static ai.dstack.server.it.Expect.error;
import static ai.dstack.server.it.Expect.ok;
import static ai.dstack.server.it.Expect.okArray;
import static ai.dstack.server.it.Expect.okNull;
import static ai.dstack.server.it.Expect.resourceNotExists;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.crypto.SshKeys;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The fleet endpoints as the CLI calls them for an SSH fleet (API.md §5.2), on hosts that do not
 * exist: shapes, in-place updates, keys kept out of responses, refusals. Deployment has its own
 * tests on real hosts.
 */
@ExtendWith(SharedServer.class)
class FleetsApiIT {
  private static final SshKeys.SshKeyPair KEY = SshKeys.generate("fleet-test");

  private static String path(String project, String action) {
    return "/api/project/" + project + "/fleets/" + action;
  }

  /** The spec the CLI sends for {@code type: fleet} with {@code ssh_config} (every field). */
  static JsonObject spec(String name, List<String> hosts) {
    JsonArrayBuilder hostList = Json.createArrayBuilder();
    hosts.forEach(hostList::add);
    JsonObject sshConfig =
        Json.createObjectBuilder()
            .add("user", "ubuntu")
            .addNull("port")
            .add("identity_file", "~/.ssh/id_rsa")
            .add(
                "ssh_key",
                Json.createObjectBuilder()
                    .add("public", KEY.publicKey())
                    .add("private", KEY.privateKey()))
            .addNull("proxy_jump")
            .add("hosts", hostList)
            .addNull("network")
            .build();
    JsonObject configuration =
        Json.createObjectBuilder()
            .add("type", "fleet")
            .add("name", name)
            .addNull("placement")
            .add("blocks", 1)
            .add("ssh_config", sshConfig)
            .addNull("nodes")
            .addNull("resources")
            .add("env", Json.createObjectBuilder())
            .build();
    return Json.createObjectBuilder()
        .add("configuration", configuration)
        .add("configuration_path", "fleet.yml")
        .add("profile", Json.createObjectBuilder().add("name", "default").add("default", false))
        .build();
  }

  private static JsonObject plan(Api api, String project, JsonObject spec) {
    return ok(
        api.post(
            path(project, "get_plan"),
            Json.createObjectBuilder().add("spec", spec).build().toString()));
  }

  private static JsonObject apply(Api api, String project, JsonObject plan) {
    JsonObject body =
        Json.createObjectBuilder()
            .add(
                "plan",
                Json.createObjectBuilder()
                    .add("spec", plan.get("spec"))
                    .add("current_resource", plan.get("current_resource")))
            .add("force", false)
            .build();
    return ok(api.post(path(project, "apply"), body.toString()));
  }

  private static List<String> hosts(JsonObject fleet) {
    return fleet.getJsonArray("instances").stream()
        .map(
            i ->
                i.asJsonObject().getString("hostname") + ":" + i.asJsonObject().getString("status"))
        .collect(Collectors.toList());
  }

  @Test
  void planEchoesTheRequestWithKeysAndApplyCreatesPendingInstancesWithoutThem(Api api) {
    String project = Api.uniqueName("fl");
    ok(api.createProject(api.adminToken(), project));
    JsonObject plan = plan(api, project, spec("my-fleet", List.of("127.0.0.1", "127.0.0.2")));
    assertEquals("create", plan.getString("action"));
    assertEquals(List.of(), plan.getJsonArray("offers"));
    assertTrue(plan.isNull("current_resource"));
    JsonObject echoed = plan.getJsonObject("spec").getJsonObject("configuration");
    assertEquals(
        KEY.privateKey(),
        echoed.getJsonObject("ssh_config").getJsonObject("ssh_key").getString("private"),
        "the CLI posts the plan's spec back");
    assertEquals(
        List.of(
            "type",
            "name",
            "placement",
            "blocks",
            "nodes",
            "reservation",
            "resources",
            "backends",
            "regions",
            "availability_zones",
            "instance_types",
            "spot_policy",
            "retry",
            "max_price",
            "idle_duration",
            "tags",
            "backend_options",
            "ssh_config",
            "env"),
        List.copyOf(echoed.keySet()));
    assertFalse(plan.getJsonObject("spec").getBoolean("autocreated"));

    JsonObject fleet = apply(api, project, plan);
    assertEquals(
        List.of(
            "id",
            "name",
            "project_name",
            "spec",
            "created_at",
            "status",
            "status_message",
            "instances"),
        List.copyOf(fleet.keySet()));
    assertEquals("my-fleet", fleet.getString("name"));
    assertEquals("active", fleet.getString("status"));
    assertFalse(fleet.toString().contains("PRIVATE KEY"), "no private key in the fleet");
    assertEquals(List.of("127.0.0.1:pending", "127.0.0.2:pending"), hosts(fleet));
    JsonObject instance = fleet.getJsonArray("instances").getJsonObject(0);
    assertEquals("my-fleet-0", instance.getString("name"));
    assertEquals("remote", instance.getString("backend"));
    assertEquals("remote", instance.getString("region"));
    assertEquals(0.0, instance.getJsonNumber("price").doubleValue());
    assertEquals("ssh", instance.getJsonObject("instance_type").getString("name"));
    assertTrue(instance.getString("created").endsWith("+00:00"));

    JsonObject byName = ok(api.post(path(project, "get"), body("name", "my-fleet")));
    assertEquals(fleet.getString("id"), byName.getString("id"));
    JsonObject byId =
        ok(api.post(path(project, "get"), body("name", null, "id", fleet.getString("id"))));
    assertEquals("my-fleet", byId.getString("name"));
    JsonArray listed = okArray(api.post(path(project, "list"), null));
    assertEquals(1, listed.size());
    JsonArray global = okArray(api.post("/api/fleets/list", body("project_name", project)));
    assertEquals(fleet.getString("id"), global.getJsonObject(0).getString("id"));
    JsonArray instances =
        okArray(api.post("/api/instances/list", body("project_names", List.of(project))));
    assertEquals(2, instances.size());
    assertFalse(instances.toString().contains("PRIVATE KEY"));
    JsonObject one =
        ok(
            api.post(
                "/api/project/" + project + "/instances/get",
                body("id", instance.getString("id"))));
    assertEquals("my-fleet", one.getString("fleet_name"));
    resourceNotExists(api.post(path(project, "get"), body("name", "no-such-fleet")));
  }

  @Test
  void reapplyingChangesHostsInPlaceAndDeleteEndsTheFleet(Api api) {
    String project = Api.uniqueName("fl");
    ok(api.createProject(api.adminToken(), project));
    JsonObject first =
        apply(api, project, plan(api, project, spec("hosts", List.of("127.0.0.1", "127.0.0.2"))));
    JsonObject update = plan(api, project, spec("hosts", List.of("127.0.0.2", "127.0.0.3")));
    assertEquals("update", update.getString("action"));
    assertEquals(first.getString("id"), update.getJsonObject("current_resource").getString("id"));
    JsonObject updated = apply(api, project, update);
    assertEquals(first.getString("id"), updated.getString("id"), "the same fleet");
    assertEquals(
        List.of("127.0.0.2:pending", "127.0.0.3:pending"),
        hosts(updated).stream().filter(h -> h.endsWith(":pending")).toList());
    assertEquals(
        2,
        updated
            .getJsonArray("instances")
            .getJsonObject(updated.getJsonArray("instances").size() - 1)
            .getInt("instance_num"),
        "new hosts get new numbers");

    String other = Api.uniqueName("fl");
    error(
        api.post(
            path(project, "apply"),
            Json.createObjectBuilder()
                .add(
                    "plan",
                    Json.createObjectBuilder()
                        .add("spec", spec(other, List.of("127.0.0.3")))
                        .addNull("current_resource"))
                .add("force", false)
                .build()
                .toString()),
        "Instances [127.0.0.3] are already assigned to a fleet.");

    okNull(
        api.post(
            path(project, "delete_instances"), body("name", "hosts", "instance_nums", List.of(1))));
    JsonObject afterDelete = ok(api.post(path(project, "get"), body("name", "hosts")));
    assertTrue(
        hosts(afterDelete).contains("127.0.0.2:terminating")
            || hosts(afterDelete).contains("127.0.0.2:terminated")
            || !hosts(afterDelete).toString().contains("127.0.0.2"),
        hosts(afterDelete).toString());

    okNull(api.post(path(project, "delete"), body("names", List.of("hosts"))));
    JsonObject deleting =
        ok(api.post(path(project, "get"), body("name", null, "id", first.getString("id"))));
    assertTrue(List.of("terminating", "terminated").contains(deleting.getString("status")));
  }

  @Test
  void badSpecsAreRefusedWithUpstreamsMessages(Api api) {
    String project = Api.uniqueName("fl");
    ok(api.createProject(api.adminToken(), project));
    JsonObject noKey = Json.createObjectBuilder(spec("nokey", List.of("127.0.0.9"))).build();
    JsonObject conf = noKey.getJsonObject("configuration");
    JsonObject ssh =
        Json.createObjectBuilder(conf.getJsonObject("ssh_config")).addNull("ssh_key").build();
    JsonObject withoutKey =
        Json.createObjectBuilder(noKey)
            .add("configuration", Json.createObjectBuilder(conf).add("ssh_config", ssh))
            .build();
    error(
        api.post(
            path(project, "get_plan"),
            Json.createObjectBuilder().add("spec", withoutKey).build().toString()),
        "No ssh key/user specified for host 127.0.0.9");
    JsonObject badName =
        Json.createObjectBuilder(noKey)
            .add("configuration", Json.createObjectBuilder(conf).add("name", "Bad_Name"))
            .build();
    error(
        api.post(
            path(project, "get_plan"),
            Json.createObjectBuilder().add("spec", badName).build().toString()),
        "Resource name should match regex '^[a-z][a-z0-9-]{1,40}$'");
    JsonObject unknownField =
        Json.createObjectBuilder(noKey)
            .add("configuration", Json.createObjectBuilder(conf).add("surprise", 1))
            .build();
    Api.Reply refused =
        api.post(
            path(project, "get_plan"),
            Json.createObjectBuilder().add("spec", unknownField).build().toString());
    assertEquals(422, refused.status(), refused.text());
    assertTrue(
        refused.text().contains("[\"body\",\"spec\",\"configuration\",\"surprise\"]"),
        refused.text());
    Api.Reply noPlan = api.post(path(project, "apply"), body("force", false));
    assertEquals(422, noPlan.status());
    assertEquals(0, okArray(api.post(path(project, "list"), null)).size(), "nothing was created");
  }
}
