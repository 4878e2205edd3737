package ai.dstack.server.instances.boundary;

import ai.dstack.server.api.ApiException;
import ai.dstack.server.api.CallContext;
import ai.dstack.server.api.Responses;
import ai.dstack.server.api.json.JsonInput;
import ai.dstack.server.fleets.boundary.FleetViews;
import ai.dstack.server.fleets.control.Fleets;
import ai.dstack.server.instances.control.Instances;
import ai.dstack.server.instances.entity.InstanceEntity;
import ai.dstack.server.projects.control.ProjectAccess;
import ai.dstack.server.projects.control.Projects;
import ai.dstack.server.projects.entity.ProjectEntity;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.UUID;

/** {@code /api/project/{p}/instances/get}. */
@Path("project/{project}/instances")
@Produces(MediaType.APPLICATION_JSON)
public class ProjectInstancesResource {
  @Inject private CallContext call;
  @Inject private Projects projects;
  @Inject private Fleets fleets;
  @Inject private Instances instances;

  @POST
  @Path("get")
  public Response get(@PathParam("project") String projectName) {
    ProjectEntity project = projects.access(call.user(), projectName, ProjectAccess.MEMBER);
    JsonInput in = JsonInput.requiredBody(call.body());
    UUID id = in.optUuid("id");
    in.validate();
    if (id == null) {
      throw ApiException.validation(
          List.of(JsonInput.issue(List.of("body", "id"), "field required", "value_error.missing")));
    }
    InstanceEntity instance = instances.get(project, id.toString());
    String fleetName =
        fleets.names(List.of(String.valueOf(instance.getFleetId()))).get(instance.getFleetId());
    return Responses.json(FleetViews.instance(instance, project.getName(), fleetName));
  }
}
