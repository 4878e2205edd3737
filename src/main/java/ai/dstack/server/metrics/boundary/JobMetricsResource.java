package ai.dstack.server.metrics.boundary;

import ai.dstack.server.api.CallContext;
import ai.dstack.server.api.JsonOutput;
import ai.dstack.server.api.NoRequestBody;
import ai.dstack.server.api.Responses;
import ai.dstack.server.api.json.JsonInput;
import ai.dstack.server.metrics.control.JobMetrics;
import ai.dstack.server.metrics.control.MetricsSeries;
import ai.dstack.server.projects.control.ProjectAccess;
import ai.dstack.server.projects.control.Projects;
import ai.dstack.server.projects.entity.ProjectEntity;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** {@code GET /api/project/{p}/metrics/job/{run_name}} (API.md §2.7): upstream's JobMetrics. */
@Path("project/{project}/metrics")
@Produces(MediaType.APPLICATION_JSON)
public class JobMetricsResource {
  @Inject private CallContext call;
  @Inject private Projects projects;
  @Inject private JobMetrics metrics;

  @GET
  @Path("job/{run_name}")
  @NoRequestBody
  public Response job(
      @PathParam("project") String projectName,
      @PathParam("run_name") String runName,
      @Context UriInfo uri) {
    ProjectEntity project = projects.access(call.user(), projectName, ProjectAccess.MEMBER);
    JsonInput query = JsonInput.query(uri.getQueryParameters());
    UUID runId = query.optUuid("run_id");
    Integer replicaNum = query.integer("replica_num", 0, null, null);
    Integer jobNum = query.integer("job_num", 0, null, null);
    Integer limit = query.integer("limit", 1, null, null);
    Instant after = query.optDatetime("after");
    Instant before = query.optDatetime("before");
    query.validate();
    List<MetricsSeries.Metric> series =
        metrics.get(
            project,
            runName,
            runId == null ? null : runId.toString(),
            replicaNum,
            jobNum,
            limit,
            after,
            before);
    List<Map<String, Object>> views =
        series.stream()
            .map(
                metric -> {
                  Map<String, Object> view = new LinkedHashMap<>();
                  view.put("name", metric.name());
                  view.put(
                      "timestamps",
                      metric.timestamps().stream().map(JsonOutput::datetime).toList());
                  view.put("values", metric.values());
                  return view;
                })
            .toList();
    return Responses.json(Map.of("metrics", views));
  }
}
