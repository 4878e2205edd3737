package ai.dstack.server.fleets.boundary;

import ai.dstack.server.api.CallContext;
import ai.dstack.server.api.Responses;
import ai.dstack.server.api.json.JsonInput;
import ai.dstack.server.fleets.control.Fleets;
import ai.dstack.server.fleets.entity.FleetEntity;
import ai.dstack.server.instances.entity.InstanceEntity;
import ai.dstack.server.projects.control.Projects;
import ai.dstack.server.projects.entity.ProjectEntity;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/** {@code /api/fleets/list}: fleets across the projects the caller sees (UI). */
@Path("fleets")
@Produces(MediaType.APPLICATION_JSON)
public class FleetsResource {
  @Inject private CallContext call;
  @Inject private Projects projects;
  @Inject private Fleets fleets;

  @POST
  @Path("list")
  public Response list() {
    JsonInput in = JsonInput.optionalBody(call.body());
    String projectName = in.optString("project_name");
    boolean onlyActive = in.bool("only_active", false);
    in.bool("include_imported", false);
    int limit = in.integer("limit", 100, 0, 100);
    in.validate();
    List<FleetEntity> found = fleets.listVisible(call.user(), projectName, onlyActive, limit);
    Map<String, ProjectEntity> byId =
        projects.listVisible(call.user()).stream()
            .collect(Collectors.toMap(ProjectEntity::getId, Function.identity()));
    Map<String, List<InstanceEntity>> instances = fleets.instancesOf(found);
    List<Object> result = new ArrayList<>();
    for (FleetEntity fleet : found) {
      result.add(
          FleetViews.fleet(fleet, byId.get(fleet.getProjectId()), instances.get(fleet.getId())));
    }
    return Responses.json(result);
  }
}
