package ai.dstack.server.it;

import static ai.dstack.server.it.Expect.accessDenied;
import static ai.dstack.server.it.Expect.body;
import static ai.dstack.server.it.Expect.clientError;
import static ai.dstack.server.it.Expect.error;
import static ai.dstack.server.it.Expect.ok;
import static ai.dstack.server.it.Expect.okArray;
import static ai.dstack.server.it.Expect.okNull;
import static ai.dstack.server.it.Expect.parse;
import static ai.dstack.server.it.Expect.projectNotFound;
import static ai.dstack.server.it.Expect.resourceExists;
import static ai.dstack.server.it.Expect.resourceNotExists;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** /api/backends/* and /api/project/{p}/backends/* (notes/upstream-backends.md). */
@ExtendWith(SharedServer.class)
class BackendsApiIT {
  /** What list_types answers: upstream's configurator types with every extra installed. */
  static final String CONFIGURABLE_TYPES =
      "[\"amddevcloud\",\"aws\",\"azure\",\"cloudrift\",\"crusoe\",\"datacrunch\",\"digitalocean\",\"gcp\",\"hotaisle\",\"jarvislabs\",\"kubernetes\",\"lambda\",\"nebius\",\"oci\",\"runpod\",\"slurm\",\"vastai\",\"verda\",\"vultr\"]";

  private static final String AWS =
      "{\"type\":\"aws\",\"regions\":[\"us-east-1\"],"
          + "\"creds\":{\"type\":\"access_key\",\"access_key\":\"AKIA\",\"secret_key\":\"s3cr3t\"}}";
  private static final String AWS_ECHO =
      "{\"type\":\"aws\",\"regions\":[\"us-east-1\"],\"vpc_name\":null,\"vpc_ids\":null,"
          + "\"default_vpcs\":null,\"public_ips\":null,\"iam_instance_profile\":null,\"tags\":null,"
          + "\"os_images\":null,"
          + "\"creds\":{\"type\":\"access_key\",\"access_key\":\"AKIA\",\"secret_key\":\"s3cr3t\"}}";

  private static String project(Api api) {
    String name = Api.uniqueName("bk");
    ok(api.createProject(api.adminToken(), name));
    return name;
  }

  private static Api.Reply call(Api api, String project, String action, String body) {
    return api.post("/api/project/" + project + "/backends/" + action, body);
  }

  @Test
  void listTypesNamesTheConfigurableTypesWithoutAuthentication(Api api) {
    JsonArray types =
        okArray(api.send("POST", "/api/backends/list_types", null, null, java.util.Map.of()));
    assertEquals(parse(CONFIGURABLE_TYPES), types);
  }

  @Test
  void createEchoesTheConfigAndGetShowsItWithoutCreds(Api api, DstackServer server)
      throws Exception {
    String p = project(api);
    assertEquals(parse(AWS_ECHO), ok(call(api, p, "create", AWS)));
    resourceExists(call(api, p, "create", AWS));

    JsonObject project = ok(api.post("/api/projects/" + p + "/get", null));
    JsonArray backends = project.getJsonArray("backends");
    assertEquals(1, backends.size());
    JsonObject info = backends.getJsonObject(0);
    assertEquals("aws", info.getString("name"));
    JsonObject shown = info.getJsonObject("config");
    assertFalse(shown.containsKey("creds"));
    assertEquals("aws", shown.getString("type"));
    assertEquals(JsonValue.NULL, shown.get("vpc_name"));

    JsonArray listed = okArray(api.post("/api/projects/list", null));
    for (JsonValue item : listed) {
      assertEquals(0, item.asJsonObject().getJsonArray("backends").size());
    }

    try (Connection db = DriverManager.getConnection(server.jdbcUrl());
        PreparedStatement query =
            db.prepareStatement(
                "SELECT b.type, b.config, b.auth, b.source_config, b.source_auth FROM backends b"
                    + " JOIN projects p ON p.id = b.project_id WHERE p.name = ?")) {
      query.setString(1, p);
      try (ResultSet row = query.executeQuery()) {
        assertTrue(row.next());
        assertEquals("AWS", row.getString(1));
        assertFalse(row.getString(2).contains("s3cr3t"), row.getString(2));
        assertTrue(row.getString(3).startsWith("enc:"), row.getString(3));
        assertFalse(row.getString(4).contains("s3cr3t"));
        assertTrue(row.getString(5).startsWith("enc:"));
      }
    }
  }

  @Test
  void configInfoUpdateAndDelete(Api api) {
    String p = project(api);
    resourceNotExists(call(api, p, "aws/config_info", null));
    resourceNotExists(call(api, p, "update", AWS));
    ok(call(api, p, "create", AWS));
    assertEquals(parse(AWS_ECHO), ok(call(api, p, "aws/config_info", null)));

    String updated =
        "{\"type\":\"aws\",\"creds\":{\"type\":\"default\"},\"tags\":{\"team\":\"ml\"}}";
    JsonObject echo = ok(call(api, p, "update", updated));
    assertEquals(JsonValue.NULL, echo.get("regions"));
    assertEquals(
        parse("{\"type\":\"default\"}"), ok(call(api, p, "aws/config_info", null)).get("creds"));

    error(
        call(api, p, "delete", body("backends_names", List.of("dstack"))),
        "Cannot delete dstack backend");
    okNull(call(api, p, "delete", body("backends_names", List.of("aws", "gcp"))));
    resourceNotExists(call(api, p, "aws/config_info", null));
    okNull(call(api, p, "delete", body("backends_names", List.of("aws"))));
  }

  @Test
  void typesWithoutAConfiguratorAreNotAvailable(Api api) {
    String p = project(api);
    clientError(
        call(
            api,
            p,
            "create",
            "{\"type\":\"cudo\",\"project_id\":\"x\",\"creds\":{\"api_key\":\"k\"}}"),
        "backend_not_available",
        "Backend not available");
    clientError(
        call(api, p, "dstack/config_info", null), "backend_not_available", "Backend not available");
    clientError(
        call(api, p, "remote/get_yaml", null), "backend_not_available", "Backend not available");
  }

  @Test
  void bodiesAreCheckedLikeUpstreamsUnion(Api api) {
    String p = project(api);
    Api.Reply missing =
        call(api, p, "create", "{\"type\":\"lambda\",\"creds\":{\"type\":\"api_key\"}}");
    assertEquals(422, missing.status(), missing::toString);
    JsonArray detail = missing.object().getJsonArray("detail");
    assertTrue(
        detail.contains(
            parse(
                "{\"loc\":[\"body\",\"creds\",\"api_key\"],\"msg\":\"field required\","
                    + "\"type\":\"value_error.missing\"}")),
        detail::toString);
    assertTrue(
        detail.contains(
            parse(
                "{\"loc\":[\"body\",\"type\"],\"msg\":\"unexpected value; permitted: 'aws'\","
                    + "\"type\":\"value_error.const\"}")),
        detail::toString);

    Api.Reply extra =
        call(api, p, "create", "{\"type\":\"lambda\",\"foo\":1,\"creds\":{\"api_key\":\"k\"}}");
    assertEquals(422, extra.status());
    assertTrue(extra.text().contains("extra fields not permitted"), extra::toString);

    Api.Reply noBody = call(api, p, "create", null);
    assertEquals(422, noBody.status());

    Api.Reply badPath = call(api, p, "nope/config_info", null);
    assertEquals(422, badPath.status());
    JsonObject entry = badPath.object().getJsonArray("detail").getJsonObject(0);
    assertEquals(parse("[\"path\",\"backend_name\"]"), entry.get("loc"));
    assertEquals("type_error.enum", entry.getString("type"));

    Api.Reply badName = call(api, p, "delete", body("backends_names", List.of("nope")));
    assertEquals(422, badName.status());
  }

  @Test
  void yamlEndpoints(Api api) {
    String p = project(api);
    okNull(
        call(
            api,
            p,
            "create_yaml",
            body(
                "config_yaml",
                "type: gcp\nproject_id: my-project\nregions: [us-west4]\n"
                    + "creds:\n  type: service_account\n  filename: sa.json\n  data: '{}'\n")));
    JsonObject yaml = ok(call(api, p, "gcp/get_yaml", null));
    assertEquals("gcp", yaml.getString("name"));
    assertEquals(
        "type: gcp\nproject_id: my-project\nregions: [us-west4]\ncreds:\n"
            + "  type: service_account\n  filename: sa.json\n  data: '{}'\n",
        yaml.getString("config_yaml"));
    resourceExists(
        call(
            api,
            p,
            "create_yaml",
            body("config_yaml", "type: gcp\nproject_id: x\ncreds: {type: default}")));
    okNull(
        call(
            api,
            p,
            "update_yaml",
            body("config_yaml", "type: gcp\nproject_id: x\ncreds: {type: default}")));
    assertEquals("x", ok(call(api, p, "gcp/config_info", null)).getString("project_id"));

    error(call(api, p, "create_yaml", body("config_yaml", "type: [")), "Error parsing YAML");
    error(
        call(api, p, "create_yaml", body("config_yaml", "type: lambda\ncreds: {type: api_key}")),
        "1 validation error for _BackendConfigWithCredsRequest\n"
            + "__root__ -> creds -> api_key\n  field required (type=value_error.missing)");
    error(
        call(api, p, "create_yaml", body("config_yaml", "regions: []")),
        "1 validation error for _BackendConfigWithCredsRequest\n__root__\n"
            + "  Discriminator 'type' is missing in value"
            + " (type=value_error.discriminated_union.missing_discriminator; discriminator_key=type)");
    resourceNotExists(
        call(api, p, "update_yaml", body("config_yaml", "type: lambda\ncreds: {api_key: k}")));
  }

  @Test
  void onlyProjectAdminsManageBackends(Api api) {
    String p = project(api);
    String user = Api.uniqueName("bk-user");
    String token = api.createUser(user, "user");
    ok(
        api.post(
            "/api/projects/" + p + "/add_members",
            body("members", List.of(Expect.member(user, "manager")))));
    accessDenied(api.post("/api/project/" + p + "/backends/create", token, AWS));
    accessDenied(api.post("/api/project/" + p + "/backends/aws/config_info", token, null));
    accessDenied(api.post("/api/project/" + p + "/backends/nope/get_yaml", token, null));
    projectNotFound(api.post("/api/project/no-such-project-x/backends/create", AWS));
    ok(
        api.post(
            "/api/projects/" + p + "/set_members",
            body(
                "members",
                List.of(Expect.member("admin", "admin"), Expect.member(user, "admin")))));
    ok(api.post("/api/project/" + p + "/backends/create", token, AWS));
  }
}
