package ai.dstack.server.runs.boundary;

import ai.dstack.server.api.CallContext;
import ai.dstack.server.api.Responses;
import ai.dstack.server.api.json.JsonInput;
import ai.dstack.server.db.Keyset;
import ai.dstack.server.runs.control.Runs;
import ai.dstack.server.runs.entity.JobEntity;
import ai.dstack.server.runs.entity.RunEntity;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** {@code /api/runs/list} (API.md §2.7): runs across the projects the caller sees. */
@Path("runs")
@Produces(MediaType.APPLICATION_JSON)
public class RunsResource {
  private static final int MAX_JOB_SUBMISSIONS_LIMIT = 10;

  @Inject private CallContext call;
  @Inject private Runs runs;

  @POST
  @Path("list")
  public Response list() {
    JsonInput in = JsonInput.requiredBody(call.body());
    String projectName = in.optString("project_name");
    String repoId = in.optString("repo_id");
    String username = in.optString("username");
    boolean onlyActive = in.bool("only_active", false);
    boolean includeJobs = in.bool("include_jobs", true);
    Integer submissionsLimit = in.optInteger("job_submissions_limit", 0, MAX_JOB_SUBMISSIONS_LIMIT);
    Instant prevSubmittedAt = in.optDatetime("prev_submitted_at");
    UUID prevRunId = in.optUuid("prev_run_id");
    int limit = in.integer("limit", 100, 0, 100);
    boolean ascending = in.bool("ascending", false);
    in.validate();
    Keyset keyset =
        new Keyset(
            prevSubmittedAt, prevRunId == null ? null : prevRunId.toString(), limit, ascending);
    List<RunEntity> found =
        runs.list(
            call.user(), new Runs.ListQuery(projectName, repoId, username, onlyActive, keyset));
    Map<String, List<JobEntity>> jobs = includeJobs ? runs.jobsOf(found) : Map.of();
    Map<String, String> names = runs.namesOf(found);
    List<Object> result = new ArrayList<>(found.size());
    for (RunEntity run : found) {
      result.add(
          RunViews.run(
              run,
              jobs.getOrDefault(run.getId(), List.of()),
              names,
              includeJobs,
              submissionsLimit == null ? MAX_JOB_SUBMISSIONS_LIMIT : submissionsLimit,
              false));
    }
    return Responses.json(result);
  }
}
