package ai.dstack.server.instances.boundary;

import ai.dstack.server.api.CallContext;
import ai.dstack.server.api.Responses;
import ai.dstack.server.api.json.JsonInput;
import ai.dstack.server.fleets.boundary.FleetViews;
import ai.dstack.server.fleets.control.Fleets;
import ai.dstack.server.instances.control.Instances;
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
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

/** {@code /api/instances/list}: instances across the projects the caller sees (API.md §2.5). */
@Path("instances")
@Produces(MediaType.APPLICATION_JSON)
public class InstancesResource {
  @Inject private CallContext call;
  @Inject private Projects projects;
  @Inject private Fleets fleets;
  @Inject private Instances instances;

  @POST
  @Path("list")
  public Response list() {
    JsonInput in = JsonInput.optionalBody(call.body());
    List<String> projectNames = in.has("project_names") ? in.stringList("project_names") : null;
    List<UUID> fleetIds = in.has("fleet_ids") ? in.uuidList("fleet_ids") : null;
    boolean onlyActive = in.bool("only_active", false);
    in.bool("include_imported", false);
    int limit = in.integer("limit", 1000, 0, 1000);
    in.validate();
    Map<String, ProjectEntity> visible =
        projects.listVisible(call.user()).stream()
            .filter(p -> projectNames == null || projectNames.contains(p.getName()))
            .collect(Collectors.toMap(ProjectEntity::getId, Function.identity()));
    List<InstanceEntity> found =
        instances.list(
            List.copyOf(visible.keySet()),
            fleetIds == null ? null : fleetIds.stream().map(UUID::toString).toList(),
            onlyActive,
            limit);
    Map<String, String> fleetNames =
        fleets.names(found.stream().map(InstanceEntity::getFleetId).toList());
    List<Object> result = new ArrayList<>();
    for (InstanceEntity instance : found) {
      result.add(
          FleetViews.instance(
              instance,
              visible.get(instance.getProjectId()).getName(),
              fleetNames.get(instance.getFleetId())));
    }
    return Responses.json(result);
  }
}
