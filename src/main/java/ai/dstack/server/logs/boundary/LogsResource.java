package ai.dstack.server.logs.boundary;

import ai.dstack.server.api.CallContext;
import ai.dstack.server.api.json.JsonInput;
import ai.dstack.server.logs.control.JobLogs;
import ai.dstack.server.logs.control.LogPage;
import ai.dstack.server.logs.control.LogProducer;
import ai.dstack.server.logs.control.LogQuery;
import ai.dstack.server.logs.control.RunLogs;
import ai.dstack.server.projects.control.ProjectAccess;
import ai.dstack.server.projects.control.Projects;
import ai.dstack.server.projects.entity.ProjectEntity;
import jakarta.inject.Inject;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * {@code logs/poll}: pages of a job's logs straight from the log storage, without the database (an
 * unknown run or job simply has no logs).
 */
@Path("project/{project}/logs")
@Produces(MediaType.APPLICATION_JSON)
public class LogsResource {
  @Inject private CallContext call;
  @Inject private Projects projects;
  @Inject private RunLogs runLogs;

  /** Upstream's {@code LogEvent}; the message is base64 of its UTF-8 bytes (legacy encoding). */
  @JsonbPropertyOrder({"timestamp", "logSource", "message"})
  public record LogEvent(Instant timestamp, String logSource, String message) {}

  @JsonbPropertyOrder({"logs", "externalUrl", "nextToken"})
  public record JobSubmissionLogs(List<LogEvent> logs, String externalUrl, String nextToken) {}

  @POST
  @Path("poll")
  public JobSubmissionLogs poll(@PathParam("project") String projectName) {
    ProjectEntity project = projects.access(call.user(), projectName, ProjectAccess.MEMBER);
    JsonInput in = JsonInput.requiredBody(call.body());
    String runName = in.string("run_name");
    UUID jobSubmissionId = in.uuid4("job_submission_id");
    Instant startTime = in.optDatetime("start_time");
    Instant endTime = in.optDatetime("end_time");
    boolean descending = in.bool("descending", false);
    String nextToken = in.optString("next_token");
    Integer limit = in.integer("limit", 100, 0, 1000);
    boolean diagnose = in.bool("diagnose", false);
    in.validate();
    LogPage page =
        runLogs.poll(
            new JobLogs(project.getName(), runName, jobSubmissionId.toString()),
            diagnose ? LogProducer.RUNNER : LogProducer.JOB,
            new LogQuery(startTime, endTime, descending, nextToken, limit));
    Base64.Encoder base64 = Base64.getEncoder();
    List<LogEvent> logs =
        page.events().stream()
            .map(
                e ->
                    new LogEvent(
                        e.timestamp(),
                        e.logSource(),
                        base64.encodeToString(e.message().getBytes(StandardCharsets.UTF_8))))
            .toList();
    return new JobSubmissionLogs(logs, page.externalUrl(), page.nextToken());
  }
}
