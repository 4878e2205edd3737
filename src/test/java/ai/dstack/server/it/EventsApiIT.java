package ai.dstack.server.it;

import static ai.dstack.server.it.Expect.body;
import static ai.dstack.server.it.Expect.object;
import static ai.dstack.server.it.Expect.ok;
import static ai.dstack.server.it.Expect.okArray;
import static ai.dstack.server.it.Expect.okNull;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code /api/events/list} over events the other endpoints record (API.md §2.9, §3.8). */
@ExtendWith(SharedServer.class)
class EventsApiIT {
  private static JsonArray events(Api api, String token, Object... filter) {
    return okArray(api.post("/api/events/list", token, body(filter)));
  }

  private static List<String> messages(JsonArray events) {
    return events.getValuesAs(JsonObject.class).stream().map(e -> e.getString("message")).toList();
  }

  private static String projectId(Api api, String project) {
    return ok(api.post("/api/projects/" + project + "/get", null)).getString("project_id");
  }

  private static String userId(Api api, String token) {
    return ok(api.post("/api/users/get_my_user", token, null)).getString("id");
  }

  private static Api.Reply setSecret(Api api, String project, String name, String value) {
    return api.post(
        "/api/project/" + project + "/secrets/create_or_update",
        body("name", name, "value", value));
  }

  @Test
  void projectSecretAndUserChangesAreRecordedWithActorAndTargets(Api api) {
    String project = Api.uniqueName("ev");
    ok(api.createProject(api.adminToken(), project));
    String projectId = projectId(api, project);
    String adminId = userId(api, api.adminToken());

    JsonArray created = events(api, api.adminToken(), "target_projects", List.of(projectId));
    assertEquals(1, created.size(), created::toString);
    JsonObject event = created.getJsonObject(0);
    assertEquals(
        List.of(
            "id",
            "message",
            "recorded_at",
            "actor_user_id",
            "actor_user",
            "is_actor_user_deleted",
            "targets"),
        List.copyOf(event.keySet()));
    assertEquals("Project created", event.getString("message"));
    assertEquals(adminId, event.getString("actor_user_id"));
    assertEquals("admin", event.getString("actor_user"));
    assertEquals(JsonValue.FALSE, event.get("is_actor_user_deleted"));
    assertEquals(
        Json.createArrayBuilder()
            .add(
                object(
                    "type", "project",
                    "project_id", projectId,
                    "project_name", project,
                    "is_project_deleted", false,
                    "id", projectId,
                    "name", project))
            .build(),
        event.getJsonArray("targets"));

    String secretId = ok(setSecret(api, project, "TOKEN", "v1")).getString("id");
    ok(setSecret(api, project, "TOKEN", "v1")); // unchanged: no event
    ok(setSecret(api, project, "TOKEN", "v2"));
    okNull(
        api.post(
            "/api/project/" + project + "/secrets/delete",
            body("secrets_names", List.of("TOKEN"))));
    JsonArray secret =
        events(api, api.adminToken(), "target_secrets", List.of(secretId), "ascending", true);
    assertEquals(List.of("Secret created", "Secret updated", "Secret deleted"), messages(secret));
    JsonObject target = secret.getJsonObject(0).getJsonArray("targets").getJsonObject(0);
    assertEquals("secret", target.getString("type"));
    assertEquals("TOKEN", target.getString("name"));
    assertEquals(project, target.getString("project_name"));

    String username = Api.uniqueName("evuser");
    String token = api.createUser(username, "user");
    String userId = userId(api, token);
    JsonArray user = events(api, api.adminToken(), "target_users", List.of(userId));
    assertEquals(List.of("User created"), messages(user));
    assertEquals("admin", user.getJsonObject(0).getString("actor_user"));
    JsonObject userTarget = user.getJsonObject(0).getJsonArray("targets").getJsonObject(0);
    assertTrue(userTarget.isNull("project_id"));
    assertTrue(userTarget.isNull("project_name"));
    assertTrue(userTarget.isNull("is_project_deleted"));
    assertEquals(username, userTarget.getString("name"));

    okNull(api.post("/api/projects/delete", body("projects_names", List.of(project))));
    JsonArray afterDelete = events(api, api.adminToken(), "within_projects", List.of(projectId));
    assertEquals("Project deleted", afterDelete.getJsonObject(0).getString("message"));
    JsonObject deletedTarget =
        afterDelete.getJsonObject(0).getJsonArray("targets").getJsonObject(0);
    assertEquals(project, deletedTarget.getString("project_name"), "the name it had");
    assertEquals(JsonValue.TRUE, deletedTarget.get("is_project_deleted"));
  }

  @Test
  void fleetAndInstanceEventsAreFoundWithinTheFleetAndFilteredByTypeAndActor(Api api) {
    String project = Api.uniqueName("evf");
    ok(api.createProject(api.adminToken(), project));
    String projectId = projectId(api, project);
    JsonObject spec = FleetsApiIT.spec("evfleet", List.of("192.0.2.1"));
    JsonObject plan =
        ok(
            api.post(
                "/api/project/" + project + "/fleets/get_plan",
                Json.createObjectBuilder().add("spec", spec).build().toString()));
    JsonObject fleet =
        ok(
            api.post(
                "/api/project/" + project + "/fleets/apply",
                Json.createObjectBuilder()
                    .add(
                        "plan",
                        Json.createObjectBuilder()
                            .add("spec", plan.get("spec"))
                            .add("current_resource", plan.get("current_resource")))
                    .add("force", false)
                    .build()
                    .toString()));
    String fleetId = fleet.getString("id");
    okNull(
        api.post("/api/project/" + project + "/fleets/delete", body("names", List.of("evfleet"))));

    List<String> ofFleet =
        messages(
            events(api, api.adminToken(), "within_fleets", List.of(fleetId), "ascending", true));
    List<String> expected =
        List.of(
            "Fleet created. Status: ACTIVE",
            "Instance created on fleet submission. Status: PENDING",
            "Instance status changed PENDING -> TERMINATING."
                + " Termination reason: TERMINATED_BY_USER",
            "Fleet status changed ACTIVE -> TERMINATING");
    assertInOrder(expected, ofFleet);

    JsonArray instances =
        events(
            api,
            api.adminToken(),
            "within_projects",
            List.of(projectId),
            "include_target_types",
            List.of("instance"));
    assertFalse(instances.isEmpty());
    instances.forEach(
        e ->
            assertEquals(
                "instance",
                e.asJsonObject().getJsonArray("targets").getJsonObject(0).getString("type")));

    // everything so far was done by the admin; the system only ends the host later, if at all
    Object system = Arrays.asList((Object) null);
    events(api, api.adminToken(), "within_fleets", List.of(fleetId), "actors", system)
        .forEach(e -> assertTrue(e.asJsonObject().isNull("actor_user_id")));
    String adminId = userId(api, api.adminToken());
    assertInOrder(
        expected,
        messages(
            events(
                api,
                api.adminToken(),
                "within_fleets",
                List.of(fleetId),
                "actors",
                List.of(adminId),
                "ascending",
                true)));
  }

  /**
   * The first four: the two of the create transaction, then the two of the delete; within one
   * transaction two events may share a timestamp, so their order is not asserted.
   */
  private static void assertInOrder(List<String> expected, List<String> actual) {
    assertTrue(actual.size() >= 4, actual::toString);
    assertEquals(Set.copyOf(expected.subList(0, 2)), Set.copyOf(actual.subList(0, 2)));
    assertEquals(Set.copyOf(expected.subList(2, 4)), Set.copyOf(actual.subList(2, 4)));
  }

  @Test
  void pagesFollowTheCursorInBothDirections(Api api) {
    String project = Api.uniqueName("evp");
    ok(api.createProject(api.adminToken(), project));
    String projectId = projectId(api, project);
    for (int i = 0; i < 4; i++) {
      ok(setSecret(api, project, "S" + i, "v"));
    }
    List<String> all = ids(events(api, api.adminToken(), "within_projects", List.of(projectId)));
    assertEquals(5, all.size());
    for (boolean ascending : new boolean[] {false, true}) {
      List<String> paged = new ArrayList<>();
      JsonObject last = null;
      while (true) {
        JsonArray page =
            last == null
                ? events(
                    api,
                    api.adminToken(),
                    "within_projects",
                    List.of(projectId),
                    "limit",
                    2,
                    "ascending",
                    ascending)
                : events(
                    api,
                    api.adminToken(),
                    "within_projects",
                    List.of(projectId),
                    "limit",
                    2,
                    "ascending",
                    ascending,
                    "prev_recorded_at",
                    last.getString("recorded_at"),
                    "prev_id",
                    last.getString("id"));
        if (page.isEmpty()) {
          break;
        }
        assertTrue(page.size() <= 2);
        paged.addAll(ids(page));
        last = page.getJsonObject(page.size() - 1);
      }
      List<String> expected = new ArrayList<>(all);
      if (ascending) {
        java.util.Collections.reverse(expected);
      }
      assertEquals(expected, paged, ascending ? "ascending" : "descending");
    }
    assertEquals(
        "Project created",
        events(api, api.adminToken(), "within_projects", List.of(projectId), "ascending", true)
            .getJsonObject(0)
            .getString("message"),
        "oldest first when ascending");
  }

  private static List<String> ids(JsonArray events) {
    return events.getValuesAs(JsonObject.class).stream().map(e -> e.getString("id")).toList();
  }

  @Test
  void othersSeeEventsOfTheirProjectsAndThemselvesOnly(Api api) {
    String project = Api.uniqueName("evv");
    ok(api.createProject(api.adminToken(), project));
    String projectId = projectId(api, project);
    String username = Api.uniqueName("evother");
    String token = api.createUser(username, "user");
    String userId = userId(api, token);

    assertEquals(0, events(api, token, "within_projects", List.of(projectId)).size());
    List<String> own = messages(events(api, token));
    assertTrue(own.contains("User created"), own::toString);
    events(api, token)
        .forEach(
            e -> {
              JsonObject t = e.asJsonObject().getJsonArray("targets").getJsonObject(0);
              assertTrue(
                  t.getString("id").equals(userId)
                      || (!t.isNull("project_id") && !t.getString("project_id").equals(projectId)),
                  t::toString);
            });

    ok(
        api.post(
            "/api/projects/" + project + "/add_members",
            body("members", List.of(Expect.member(username, "user")))));
    assertEquals(
        List.of("Project created"),
        messages(events(api, token, "within_projects", List.of(projectId))));
  }

  @Test
  void invalidFilterCombinationsAndSizesAre422(Api api) {
    String id = "00000000-0000-0000-0000-000000000001";
    Expect.assertBody(
        api.post(
            "/api/events/list", body("target_projects", List.of(id), "target_users", List.of(id))),
        422,
        object(
            "detail",
            Json.createArrayBuilder()
                .add(
                    object(
                        "loc",
                        List.of("body", "__root__"),
                        "msg",
                        "At most one target_* filter can be set at a time."
                            + " Got target_projects, target_users",
                        "type",
                        "value_error"))
                .build()));
    Expect.assertBody(
        api.post(
            "/api/events/list", body("within_projects", List.of(id), "within_runs", List.of(id))),
        422,
        object(
            "detail",
            Json.createArrayBuilder()
                .add(
                    object(
                        "loc",
                        List.of("body", "__root__"),
                        "msg",
                        "At most one within_* filter can be set at a time."
                            + " Got within_projects, within_runs",
                        "type",
                        "value_error"))
                .build()));
    Expect.assertBody(
        api.post("/api/events/list", body("actors", List.of())),
        422,
        object(
            "detail",
            Json.createArrayBuilder()
                .add(
                    object(
                        "loc",
                        List.of("body", "actors"),
                        "msg",
                        "ensure this value has at least 1 items",
                        "type",
                        "value_error.list.min_items",
                        "ctx",
                        object("limit_value", 1)))
                .build()));
    List<String> seventeen = new ArrayList<>();
    for (int i = 0; i < 17; i++) {
      seventeen.add(id);
    }
    JsonObject tooMany =
        api.post("/api/events/list", body("target_fleets", seventeen))
            .object()
            .getJsonArray("detail")
            .getJsonObject(0);
    assertEquals("value_error.list.max_items", tooMany.getString("type"));
    assertEquals(422, api.post("/api/events/list", body("limit", 0)).status());
    assertEquals(422, api.post("/api/events/list", body("limit", 101)).status());
    JsonObject badType =
        api.post("/api/events/list", body("include_target_types", List.of("bogus")))
            .object()
            .getJsonArray("detail")
            .getJsonObject(0);
    assertEquals(
        Json.createArrayBuilder().add("body").add("include_target_types").add(0).build(),
        badType.getJsonArray("loc"));
    assertEquals("type_error.enum", badType.getString("type"));
    assertEquals(
        200, api.post("/api/events/list", body("actors", Arrays.asList(null, id))).status());
  }
}
