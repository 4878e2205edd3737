package ai.dstack.server.gateways.boundary;

import ai.dstack.server.api.ApiException;
import ai.dstack.server.api.CallContext;
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

/**
 * A project's gateways. A gateway is a cloud instance, and no backend provisions instances here, so
 * there are none: services are reached through the server's own proxy instead.
 */
@Path("project/{project}/gateways")
@Produces(MediaType.APPLICATION_JSON)
public class GatewaysResource {
  @Inject private CallContext call;
  @Inject private Projects projects;

  @POST
  @Path("list")
  public List<Object> list(@PathParam("project") String projectName) {
    projects.access(call.user(), projectName, ProjectAccess.MEMBER_OR_PUBLIC);
    JsonInput in = JsonInput.optionalBody(call.body());
    in.bool("include_imported", false);
    in.validate();
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
