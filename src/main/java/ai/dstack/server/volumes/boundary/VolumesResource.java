package ai.dstack.server.volumes.boundary;

import ai.dstack.server.api.CallContext;
import ai.dstack.server.api.json.JsonInput;
import ai.dstack.server.projects.control.ProjectAccess;
import ai.dstack.server.projects.control.Projects;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

/**
 * {@code /api/volumes/list} (UI). Volumes exist only on cloud backends, which provision nothing
 * here, so every visible list is empty; the request is still checked as upstream checks it.
 */
@Path("volumes")
@Produces(MediaType.APPLICATION_JSON)
public class VolumesResource {
  @Inject private CallContext call;
  @Inject private Projects projects;

  @POST
  @Path("list")
  public List<Object> list() {
    JsonInput in = JsonInput.optionalBody(call.body());
    String projectName = in.optString("project_name");
    in.bool("only_active", false);
    in.optString("prev_created_at");
    in.optString("prev_id");
    in.integer("limit", 100, 0, 100);
    in.bool("ascending", false);
    in.validate();
    if (projectName != null) {
      projects.access(call.user(), projectName, ProjectAccess.MEMBER);
    }
    return List.of();
  }
}
