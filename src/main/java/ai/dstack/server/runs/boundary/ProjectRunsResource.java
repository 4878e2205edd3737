package ai.dstack.server.runs.boundary;

import ai.dstack.server.api.ApiException;
import ai.dstack.server.api.CallContext;
import ai.dstack.server.api.Responses;
import ai.dstack.server.api.json.JsonInput;
import ai.dstack.server.projects.control.ProjectAccess;
import ai.dstack.server.projects.control.Projects;
import ai.dstack.server.projects.entity.ProjectEntity;
import ai.dstack.server.runs.control.RunSpecs;
import ai.dstack.server.runs.control.Runs;
import ai.dstack.server.runs.entity.JobEntity;
import ai.dstack.server.runs.entity.RunEntity;
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

/** {@code /api/project/{p}/runs/*} (API.md §2.7). */
@Path("project/{project}/runs")
@Produces(MediaType.APPLICATION_JSON)
public class ProjectRunsResource {
  @Inject private CallContext call;
  @Inject private Projects projects;
  @Inject private Runs runs;

  @POST
  @Path("get_plan")
  public Response getPlan(@PathParam("project") String projectName) {
    ProjectEntity project = projects.access(call.user(), projectName, ProjectAccess.MEMBER);
    JsonInput in = JsonInput.requiredBody(call.body());
    Integer maxOffers = in.optInteger("max_offers", 1, 10000);
    in.validate();
    Map<String, Object> spec =
        RunSpecs.read(call.body().asJsonObject().get("run_spec"), List.of("body", "run_spec"));
    Runs.Plan plan = runs.plan(call.user(), project, spec, maxOffers);
    List<Object> jobPlans = new ArrayList<>();
    for (Runs.JobPlan jobPlan : plan.jobPlans()) {
      Map<String, Object> view = new LinkedHashMap<>();
      view.put("job_spec", jobPlan.jobSpec());
      view.put("offers", jobPlan.offers().stream().map(o -> (Object) o.view()).toList());
      view.put("total_offers", (long) jobPlan.totalOffers());
      view.put(
          "max_price",
          jobPlan.offers().stream()
              .map(o -> (Double) o.view().get("price"))
              .max(Double::compare)
              .orElse(null));
      jobPlans.add(view);
    }
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("project_name", project.getName());
    view.put("user", call.user().getName());
    view.put("run_spec", plan.spec());
    view.put("effective_run_spec", plan.effectiveSpec());
    view.put("job_plans", jobPlans);
    view.put("current_resource", plan.current() == null ? null : full(plan.current(), false));
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
    JsonValue planValue = call.body().asJsonObject().get("plan");
    if (planValue == null || planValue.getValueType() != JsonValue.ValueType.OBJECT) {
      throw ApiException.validation(
          List.of(
              JsonInput.issue(List.of("body", "plan"), "field required", "value_error.missing")));
    }
    JsonObject plan = planValue.asJsonObject();
    Map<String, Object> spec =
        RunSpecs.read(plan.get("run_spec"), List.of("body", "plan", "run_spec"));
    JsonValue current = plan.get("current_resource");
    Runs.Applied applied =
        runs.apply(
            call.user(),
            project,
            spec,
            current != null && current.getValueType() == JsonValue.ValueType.OBJECT
                ? current.asJsonObject()
                : null,
            force);
    return Responses.json(view(applied));
  }

  @POST
  @Path("submit")
  public Response submit(@PathParam("project") String projectName) {
    ProjectEntity project = projects.access(call.user(), projectName, ProjectAccess.MEMBER);
    JsonInput.requiredBody(call.body()).validate();
    Map<String, Object> spec =
        RunSpecs.read(call.body().asJsonObject().get("run_spec"), List.of("body", "run_spec"));
    return Responses.json(view(runs.submit(call.user(), project, spec)));
  }

  @POST
  @Path("get")
  public Response get(@PathParam("project") String projectName) {
    ProjectEntity project = projects.access(call.user(), projectName, ProjectAccess.MEMBER);
    JsonInput in = JsonInput.requiredBody(call.body());
    String name = in.optString("run_name");
    UUID id = in.optUuid("id");
    in.validate();
    if (name == null && id == null) {
      throw ApiException.error("run_name or id must be specified");
    }
    RunEntity run = runs.get(project, name, id == null ? null : id.toString());
    return Responses.json(full(run, true));
  }

  @POST
  @Path("stop")
  public Response stop(@PathParam("project") String projectName) {
    ProjectEntity project = projects.access(call.user(), projectName, ProjectAccess.MEMBER);
    JsonInput in = JsonInput.requiredBody(call.body());
    List<String> names = in.stringList("runs_names");
    boolean abort = in.bool("abort", false);
    in.validate();
    runs.stop(call.user(), project, names, abort);
    return Responses.jsonNull();
  }

  @POST
  @Path("delete")
  public Response delete(@PathParam("project") String projectName) {
    ProjectEntity project = projects.access(call.user(), projectName, ProjectAccess.MEMBER);
    JsonInput in = JsonInput.requiredBody(call.body());
    List<String> names = in.stringList("runs_names");
    in.validate();
    runs.delete(call.user(), project, names);
    return Responses.jsonNull();
  }

  /** The run as apply or submit left it (the pipelines may have moved it on since). */
  private Map<String, Object> view(Runs.Applied applied) {
    return RunViews.run(
        applied.run(),
        applied.jobs(),
        runs.namesOf(List.of(applied.run())),
        true,
        null,
        false,
        Map.of());
  }

  private Map<String, Object> full(RunEntity run, boolean connectionInfo) {
    List<RunEntity> one = List.of(run);
    Map<String, List<JobEntity>> jobs = runs.jobsOf(one);
    return RunViews.run(
        run,
        jobs.getOrDefault(run.getId(), List.of()),
        runs.namesOf(one),
        true,
        null,
        connectionInfo,
        runs.probeStreaksOf(one, jobs));
  }
}
