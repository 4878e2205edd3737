package ai.dstack.server.volumes.boundary;

import ai.dstack.server.api.ApiException;
import ai.dstack.server.api.CallContext;
import ai.dstack.server.api.NoRequestBody;
import ai.dstack.server.api.json.JsonInput;
import ai.dstack.server.projects.control.ProjectAccess;
import ai.dstack.server.projects.control.Projects;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

/** A project's volumes: none can exist without a cloud backend that provisions them. */
@Path("project/{project}/volumes")
@Produces(MediaType.APPLICATION_JSON)
public class ProjectVolumesResource {
  @Inject private CallContext call;
  @Inject private Projects projects;

  @POST
  @Path("list")
  @NoRequestBody
  public List<Object> list(@PathParam("project") String projectName) {
    projects.access(call.user(), projectName, ProjectAccess.MEMBER);
    return List.of();
  }

  @POST
  @Path("get")
  public Object get(@PathParam("project") String projectName) {
    projects.access(call.user(), projectName, ProjectAccess.MEMBER);
    JsonInput in = JsonInput.requiredBody(call.body());
    in.string("name");
    in.validate();
    throw ApiException.resourceNotExists();
  }
}
