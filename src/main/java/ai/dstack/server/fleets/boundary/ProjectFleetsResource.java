package ai.dstack.server.fleets.boundary;

import ai.dstack.server.api.ApiException;
import ai.dstack.server.api.CallContext;
import ai.dstack.server.api.NoRequestBody;
import ai.dstack.server.api.Responses;
import ai.dstack.server.api.json.JsonInput;
import ai.dstack.server.fleets.control.Fleets;
import ai.dstack.server.fleets.entity.FleetEntity;
import ai.dstack.server.projects.control.ProjectAccess;
import ai.dstack.server.projects.control.Projects;
import ai.dstack.server.projects.entity.ProjectEntity;
import jakarta.inject.Inject;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** {@code /api/project/{p}/fleets/*} (API.md §2.5). */
@Path("project/{project}/fleets")
@Produces(MediaType.APPLICATION_JSON)
public class ProjectFleetsResource {
  @Inject private CallContext call;
  @Inject private Projects projects;
  @Inject private Fleets fleets;

  @POST
  @Path("list")
  @NoRequestBody
  public Response list(@PathParam("project") String projectName) {
    ProjectEntity project = projects.access(call.user(), projectName, ProjectAccess.MEMBER);
    JsonInput in = JsonInput.optionalBody(call.body());
    in.bool("include_imported", false);
    in.validate();
    List<FleetEntity> found = fleets.list(project);
    return Responses.json(views(project, found));
  }

  @POST
  @Path("get")
  public Response get(@PathParam("project") String projectName) {
    ProjectEntity project = projects.access(call.user(), projectName, ProjectAccess.MEMBER);
    JsonInput in = JsonInput.requiredBody(call.body());
    String name = in.optString("name");
    UUID id = in.optUuid("id");
    in.validate();
    if (name == null && id == null) {
      throw ApiException.error("Specify either fleet name or id");
    }
    FleetEntity fleet = fleets.get(project, name, id == null ? null : id.toString());
    return Responses.json(view(project, fleet));
  }

  @POST
  @Path("get_plan")
  public Response getPlan(@PathParam("project") String projectName) {
    ProjectEntity project = projects.access(call.user(), projectName, ProjectAccess.MEMBER);
    JsonObject body =
        JsonInput.requiredBody(call.body()) == null ? null : call.body().asJsonObject();
    Map<String, Object> spec = FleetViews.spec(body.get("spec"), List.of("body", "spec"));
    Fleets.Plan plan = fleets.plan(project, spec);
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("project_name", project.getName());
    view.put("user", call.user().getName());
    view.put("spec", plan.spec());
    view.put("effective_spec", plan.effectiveSpec());
    view.put("current_resource", plan.current() == null ? null : view(project, plan.current()));
    view.put("offers", List.of());
    view.put("total_offers", 0L);
    view.put("max_offer_price", null);
    view.put("action", plan.action());
    return Responses.json(view);
  }

  @POST
  @Path("apply")
  public Response apply(@PathParam("project") String projectName) {
    ProjectEntity project = projects.access(call.user(), projectName, ProjectAccess.MEMBER);
    JsonInput in = JsonInput.requiredBody(call.body());
    boolean force = in.bool("force", false);
    in.validate();
    JsonObject plan = FleetViews.objectOrNull(call.body().asJsonObject().get("plan"));
    if (plan == null) {
      throw ApiException.validation(
          List.of(
              JsonInput.issue(List.of("body", "plan"), "field required", "value_error.missing")));
    }
    Map<String, Object> spec = FleetViews.spec(plan.get("spec"), List.of("body", "plan", "spec"));
    FleetEntity fleet =
        fleets.apply(
            call.user(),
            project,
            spec,
            FleetViews.objectOrNull(plan.get("current_resource")),
            force);
    return Responses.json(view(project, fleet));
  }

  @POST
  @Path("create")
  public Response create(@PathParam("project") String projectName) {
    ProjectEntity project = projects.access(call.user(), projectName, ProjectAccess.MEMBER);
    JsonValue body = call.body();
    JsonInput.requiredBody(body);
    Map<String, Object> spec =
        FleetViews.spec(body.asJsonObject().get("spec"), List.of("body", "spec"));
    return Responses.json(view(project, fleets.create(call.user(), project, spec)));
  }

  @POST
  @Path("delete")
  public Response delete(@PathParam("project") String projectName) {
    ProjectEntity project = projects.access(call.user(), projectName, ProjectAccess.MEMBER);
    JsonInput in = JsonInput.requiredBody(call.body());
    List<String> names = in.stringList("names");
    in.validate();
    fleets.delete(call.user(), project, names);
    return Responses.jsonNull();
  }

  @POST
  @Path("delete_instances")
  public Response deleteInstances(@PathParam("project") String projectName) {
    ProjectEntity project = projects.access(call.user(), projectName, ProjectAccess.MEMBER);
    JsonInput in = JsonInput.requiredBody(call.body());
    String name = in.string("name");
    List<Long> nums = FleetViews.integers(call.body().asJsonObject(), "instance_nums");
    in.validate();
    fleets.deleteInstances(call.user(), project, name, nums);
    return Responses.jsonNull();
  }

  private Map<String, Object> view(ProjectEntity project, FleetEntity fleet) {
    return FleetViews.fleet(fleet, project, fleets.instancesOf(List.of(fleet)).get(fleet.getId()));
  }

  private List<Object> views(ProjectEntity project, List<FleetEntity> found) {
    var instances = fleets.instancesOf(found);
    List<Object> result = new ArrayList<>();
    for (FleetEntity fleet : found) {
      result.add(FleetViews.fleet(fleet, project, instances.get(fleet.getId())));
    }
    return result;
  }
}
