package ai.dstack.server.it;

import static ai.dstack.server.it.Expect.accessDenied;
import static ai.dstack.server.it.Expect.body;
import static ai.dstack.server.it.Expect.ok;
import static ai.dstack.server.it.Expect.okArray;
import static ai.dstack.server.it.Expect.resourceNotExists;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The volume and gateway lists the UI reads: empty, since only cloud backends create either, but
 * with upstream's permissions and errors.
 */
@ExtendWith(SharedServer.class)
class VolumesAndGatewaysApiIT {
  @Test
  void membersSeeEmptyListsAndNamedLookupsFindNothing(Api api) {
    String project = Api.uniqueName("vg");
    ok(api.createProject(api.adminToken(), project));
    assertTrue(okArray(api.post("/api/volumes/list", "{}")).isEmpty());
    assertTrue(okArray(api.post("/api/volumes/list", body("project_name", project))).isEmpty());
    assertTrue(okArray(api.post("/api/project/" + project + "/volumes/list", null)).isEmpty());
    assertTrue(okArray(api.post("/api/project/" + project + "/gateways/list", "{}")).isEmpty());
    resourceNotExists(api.post("/api/project/" + project + "/volumes/get", body("name", "v")));
    resourceNotExists(api.post("/api/project/" + project + "/gateways/get", body("name", "g")));
  }

  @Test
  void nonMembersAreDeniedAndBadBodiesAreValidationErrors(Api api) {
    String project = Api.uniqueName("vg");
    ok(api.createProject(api.adminToken(), project));
    String outsider = api.createUser(Api.uniqueName("out"), "user");
    accessDenied(api.post("/api/project/" + project + "/volumes/list", outsider, null));
    accessDenied(api.post("/api/project/" + project + "/gateways/list", outsider, "{}"));
    accessDenied(api.post("/api/volumes/list", outsider, body("project_name", project)));
    assertEquals(422, api.post("/api/volumes/list", body("limit", "many")).status());
    assertEquals(422, api.post("/api/project/" + project + "/volumes/get", "{}").status());
  }
}
