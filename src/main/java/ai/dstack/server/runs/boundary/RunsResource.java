package ai.dstack.server.runs.boundary;

import ai.dstack.server.api.CallContext;
import ai.dstack.server.api.JsonText;
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
import jakarta.ws.rs.core.StreamingOutput;
import java.nio.charset.StandardCharsets;
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
  @Inject private FinishedRunViews finished;

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
    List<Runs.ListedRun> found =
        runs.list(
            call.user(), new Runs.ListQuery(projectName, repoId, username, onlyActive, keyset));
    Integer shownSubmissions =
        submissionsLimit == null ? MAX_JOB_SUBMISSIONS_LIMIT : submissionsLimit;
    List<byte[]> views = new ArrayList<>(found.size());
    List<String> unseen = new ArrayList<>();
    for (Runs.ListedRun run : found) {
      byte[] view = finished.get(FinishedRunViews.key(run, includeJobs, shownSubmissions));
      views.add(view);
      if (view == null) {
        unseen.add(run.id());
      }
    }
    if (!unseen.isEmpty()) {
      Map<String, RunEntity> loaded = runs.byIds(unseen);
      List<RunEntity> entities = new ArrayList<>(loaded.values());
      Map<String, List<JobEntity>> jobs = includeJobs ? runs.jobsOf(entities) : Map.of();
      Map<String, String> names = runs.namesOf(entities);
      Map<String, List<Long>> probeStreaks = runs.probeStreaksOf(entities, jobs);
      for (int i = 0; i < found.size(); i++) {
        RunEntity run = views.get(i) == null ? loaded.get(found.get(i).id()) : null;
        if (run != null) {
          byte[] view =
              JsonText.write(
                      RunViews.run(
                          run,
                          jobs.getOrDefault(run.getId(), List.of()),
                          names,
                          includeJobs,
                          shownSubmissions,
                          false,
                          probeStreaks))
                  .getBytes(StandardCharsets.UTF_8);
          views.set(i, view);
          finished.put(FinishedRunViews.key(found.get(i), includeJobs, shownSubmissions), view);
        }
      }
    }
    // the views go out as the bytes they are kept as, without one more copy of the whole page
    StreamingOutput body =
        out -> {
          out.write('[');
          boolean first = true;
          for (byte[] view : views) {
            if (view == null) {
              continue;
            }
            if (!first) {
              out.write(',');
            }
            first = false;
            out.write(view);
          }
          out.write(']');
        };
    long length = 2;
    int count = 0;
    for (byte[] view : views) {
      if (view != null) {
        length += view.length + (count++ > 0 ? 1 : 0);
      }
    }
    return Response.ok(body, MediaType.APPLICATION_JSON_TYPE)
        .header("Content-Length", length)
        .build();
  }
}
