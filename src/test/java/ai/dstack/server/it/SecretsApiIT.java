package ai.dstack.server.it;

import static ai.dstack.server.it.Expect.accessDenied;
import static ai.dstack.server.it.Expect.body;
import static ai.dstack.server.it.Expect.clientError;
import static ai.dstack.server.it.Expect.error;
import static ai.dstack.server.it.Expect.forbidden;
import static ai.dstack.server.it.Expect.member;
import static ai.dstack.server.it.Expect.ok;
import static ai.dstack.server.it.Expect.okArray;
import static ai.dstack.server.it.Expect.okNull;
import static ai.dstack.server.it.Expect.projectNotFound;
import static ai.dstack.server.it.Expect.resourceNotExists;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** /api/project/{p}/secrets/* with upstream's default permissions (managers may not). */
@ExtendWith(SharedServer.class)
class SecretsApiIT {
  private static String path(String project, String action) {
    return "/api/project/" + project + "/secrets/" + action;
  }

  private static Api.Reply set(Api api, String token, String project, String name, String value) {
    return api.post(path(project, "create_or_update"), token, body("name", name, "value", value));
  }

  @Test
  void projectAdminsCreateReadUpdateListAndDeleteSecrets(Api api) {
    String project = Api.uniqueName("sec");
    ok(api.createProject(api.adminToken(), project));

    JsonObject created = ok(set(api, api.adminToken(), project, "HF_TOKEN", "v1"));
    assertEquals(List.of("id", "name", "value"), List.copyOf(created.keySet()));
    assertEquals("HF_TOKEN", created.getString("name"));
    assertEquals("v1", created.getString("value"));

    JsonObject updated = ok(set(api, api.adminToken(), project, "HF_TOKEN", "v2"));
    assertEquals(created.getString("id"), updated.getString("id"), "same secret, new value");
    ok(set(api, api.adminToken(), project, "other_1", "x"));

    JsonObject read = ok(api.post(path(project, "get"), body("name", "HF_TOKEN")));
    assertEquals("v2", read.getString("value"));

    JsonArray listed = okArray(api.post(path(project, "list"), null));
    assertEquals(2, listed.size());
    assertEquals("other_1", listed.getJsonObject(0).getString("name"), "newest first");
    listed.forEach(s -> assertTrue(s.asJsonObject().isNull("value"), "no values in the list"));

    resourceNotExists(api.post(path(project, "get"), body("name", "missing")));
    clientError(
        api.post(path(project, "delete"), body("secrets_names", List.of("HF_TOKEN", "nope"))),
        "resource_not_exists",
        "Secrets not found: nope");
    assertEquals(2, okArray(api.post(path(project, "list"), null)).size(), "nothing deleted");
    okNull(api.post(path(project, "delete"), body("secrets_names", List.of("HF_TOKEN"))));
    assertEquals(1, okArray(api.post(path(project, "list"), null)).size());
  }

  @Test
  void badNamesAndValuesAreRejected(Api api) {
    error(
        set(api, api.adminToken(), "main", "bad name", "v"),
        "Secret name should match regex '^[A-Za-z0-9-_]{1,200}$");
    error(
        set(api, api.adminToken(), "main", "long", "x".repeat(5001)),
        "Secret value length must not exceed 5000");
    Api.Reply missing = api.post(path("main", "create_or_update"), body("name", "n"));
    assertEquals(422, missing.status(), missing.text());
    assertTrue(missing.text().contains("\"loc\":[\"body\",\"value\"]"), missing.text());
    projectNotFound(api.post(path("no-such-project-x", "list"), null));
  }

  @Test
  void onlyProjectAdminsAndGlobalAdminsManageSecretsByDefault(Api api) {
    String project = Api.uniqueName("sec");
    String adminName = Api.uniqueName("padmin");
    String managerName = Api.uniqueName("manager");
    String userName = Api.uniqueName("user");
    String outsiderName = Api.uniqueName("outsider");
    String projectAdmin = api.createUser(adminName, "user");
    String manager = api.createUser(managerName, "user");
    String user = api.createUser(userName, "user");
    String outsider = api.createUser(outsiderName, "user");
    ok(api.createProject(projectAdmin, project));
    ok(
        api.post(
            "/api/projects/" + project + "/add_members",
            projectAdmin,
            body("members", List.of(member(managerName, "manager"), member(userName, "user")))));

    ok(set(api, projectAdmin, project, "k", "v"));
    ok(api.post(path(project, "get"), api.adminToken(), body("name", "k")));
    forbidden(set(api, manager, project, "k", "v"), "Access denied");
    forbidden(api.post(path(project, "list"), manager, null), "Access denied");
    accessDenied(api.post(path(project, "list"), user, null));
    accessDenied(api.post(path(project, "get"), outsider, body("name", "k")));

    JsonObject details = ok(api.post("/api/projects/" + project + "/get", projectAdmin, null));
    for (JsonObject m : details.getJsonArray("members").getValuesAs(JsonObject.class)) {
      boolean expected = m.getString("project_role").equals("admin");
      assertEquals(
          expected, m.getJsonObject("permissions").getBoolean("can_manage_secrets"), m.toString());
    }
  }
}
