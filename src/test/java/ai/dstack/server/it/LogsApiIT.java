package ai.dstack.server.it;

import static ai.dstack.server.it.Expect.accessDenied;
import static ai.dstack.server.it.Expect.assertBody;
import static ai.dstack.server.it.Expect.body;
import static ai.dstack.server.it.Expect.error;
import static ai.dstack.server.it.Expect.member;
import static ai.dstack.server.it.Expect.object;
import static ai.dstack.server.it.Expect.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.logs.control.FileLogStorage;
import ai.dstack.server.logs.control.JobLogs;
import ai.dstack.server.logs.control.LogProducer;
import ai.dstack.server.logs.control.RunnerLogEvent;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code /api/project/{p}/logs/poll} over log files the server's storage layout puts in its server
 * directory (written here as the job pipeline writes them).
 */
@ExtendWith(SharedServer.class)
class LogsApiIT {
  private static final long T0 = Instant.parse("2023-10-06T10:01:53.234Z").toEpochMilli();
  private static final JsonObject EMPTY =
      object("logs", Json.createArrayBuilder().build(), "external_url", null, "next_token", null);

  private static String poll(String project) {
    return "/api/project/" + project + "/logs/poll";
  }

  private static RunnerLogEvent event(long millis, String text) {
    return new RunnerLogEvent(millis, text.getBytes(StandardCharsets.UTF_8));
  }

  private static List<String> decoded(JsonObject page) {
    return page.getJsonArray("logs").getValuesAs(JsonObject.class).stream()
        .map(
            e ->
                new String(
                    Base64.getDecoder().decode(e.getString("message")), StandardCharsets.UTF_8))
        .toList();
  }

  /** A project with a member, and a job with five job lines and two runner lines. */
  private record Fixture(String project, String memberToken, String runName, String jobId) {}

  private static Fixture fixture(Api api, DstackServer server) {
    String project = Api.uniqueName("logs");
    String username = Api.uniqueName("reader");
    String token = api.createUser(username, "user");
    ok(api.createProject(api.adminToken(), project));
    ok(
        api.post(
            "/api/projects/" + project + "/add_members",
            body("members", List.of(member(username, "user")))));
    String jobId = UUID.randomUUID().toString();
    JobLogs job = new JobLogs(project, "hello-task", jobId);
    FileLogStorage files = new FileLogStorage(server.stateDir());
    List<RunnerLogEvent> lines = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      lines.add(event(T0 + i * 1000L, "line " + i + " é\n"));
    }
    files.write(job, LogProducer.JOB, lines);
    files.write(job, LogProducer.RUNNER, List.of(event(T0, "runner up"), event(T0 + 1, "pulled")));
    return new Fixture(project, token, "hello-task", jobId);
  }

  @Test
  void membersPageThroughJobLogsWithBase64Messages(Api api, DstackServer server) {
    Fixture f = fixture(api, server);
    JsonObject first =
        ok(
            api.post(
                poll(f.project()),
                f.memberToken(),
                body("run_name", f.runName(), "job_submission_id", f.jobId(), "limit", 2)));
    assertEquals(List.of("logs", "external_url", "next_token"), List.copyOf(first.keySet()));
    JsonObject event = first.getJsonArray("logs").getJsonObject(0);
    assertEquals(
        object(
            "timestamp",
            "2023-10-06T10:01:53.234000+00:00",
            "log_source",
            "stdout",
            "message",
            Base64.getEncoder().encodeToString("line 0 é\n".getBytes(StandardCharsets.UTF_8))),
        event);
    assertEquals(List.of("timestamp", "log_source", "message"), List.copyOf(event.keySet()));
    assertEquals("2", first.getString("next_token"));
    assertTrue(first.isNull("external_url"));

    List<String> all = new ArrayList<>(decoded(first));
    String token = first.getString("next_token");
    while (token != null) {
      JsonObject page =
          ok(
              api.post(
                  poll(f.project()),
                  f.memberToken(),
                  body(
                      "run_name",
                      f.runName(),
                      "job_submission_id",
                      f.jobId(),
                      "limit",
                      2,
                      "next_token",
                      token)));
      all.addAll(decoded(page));
      token = page.isNull("next_token") ? null : page.getString("next_token");
    }
    assertEquals(
        List.of("line 0 é\n", "line 1 é\n", "line 2 é\n", "line 3 é\n", "line 4 é\n"), all);

    JsonObject newest =
        ok(
            api.post(
                poll(f.project()),
                f.memberToken(),
                body(
                    "run_name",
                    f.runName(),
                    "job_submission_id",
                    f.jobId(),
                    "descending",
                    true,
                    "limit",
                    2,
                    "start_time",
                    "2023-10-06T10:01:53.234+00:00")));
    assertEquals(List.of("line 4 é\n", "line 3 é\n"), decoded(newest));
    JsonObject older =
        ok(
            api.post(
                poll(f.project()),
                f.memberToken(),
                body(
                    "run_name",
                    f.runName(),
                    "job_submission_id",
                    f.jobId(),
                    "descending",
                    true,
                    "limit",
                    2,
                    "start_time",
                    "2023-10-06T10:01:53.234+00:00",
                    "next_token",
                    newest.getString("next_token"))));
    assertEquals(List.of("line 2 é\n", "line 1 é\n"), decoded(older), "start_time is exclusive");
    assertTrue(older.isNull("next_token"));

    JsonObject runner =
        ok(
            api.post(
                poll(f.project()),
                f.memberToken(),
                body("run_name", f.runName(), "job_submission_id", f.jobId(), "diagnose", true)));
    assertEquals(List.of("runner up", "pulled"), decoded(runner));
  }

  @Test
  void unknownRunsAndJobsHaveNoLogs(Api api, DstackServer server) {
    Fixture f = fixture(api, server);
    for (String runName : List.of("no-such-run", "../" + f.runName(), "Hello_Task")) {
      assertBody(
          api.post(poll(f.project()), body("run_name", runName, "job_submission_id", f.jobId())),
          200,
          EMPTY);
    }
    assertBody(
        api.post(
            poll(f.project()),
            body("run_name", f.runName(), "job_submission_id", UUID.randomUUID().toString())),
        200,
        EMPTY);
    assertBody(
        api.post(poll("main"), body("run_name", f.runName(), "job_submission_id", f.jobId())),
        200,
        EMPTY);
  }

  @Test
  void badValuesAreRejected(Api api, DstackServer server) {
    Fixture f = fixture(api, server);
    assertBody(
        api.post(poll(f.project()), body("run_name", f.runName(), "job_submission_id", "nope")),
        422,
        object(
            "detail",
            Json.createArrayBuilder()
                .add(
                    object(
                        "loc", List.of("body", "job_submission_id"),
                        "msg", "value is not a valid uuid",
                        "type", "type_error.uuid"))
                .build()));
    assertBody(
        api.post(
            poll(f.project()),
            body(
                "run_name",
                f.runName(),
                "job_submission_id",
                "6f73bd58-7b2b-1845-acc5-2c87ce195bee",
                "limit",
                1001)),
        422,
        object(
            "detail",
            Json.createArrayBuilder()
                .add(
                    object(
                        "loc",
                        List.of("body", "job_submission_id"),
                        "msg",
                        "uuid version 4 expected",
                        "type",
                        "value_error.uuid.version",
                        "ctx",
                        object("required_version", 4)))
                .add(
                    object(
                        "loc",
                        List.of("body", "limit"),
                        "msg",
                        "ensure this value is less than or equal to 1000",
                        "type",
                        "value_error.number.not_le",
                        "ctx",
                        object("limit_value", 1000)))
                .build()));
    JsonValue missing = api.post(poll(f.project()), body("job_submission_id", f.jobId())).json();
    assertEquals(
        List.of("body", "run_name"),
        missing
            .asJsonObject()
            .getJsonArray("detail")
            .getJsonObject(0)
            .getJsonArray("loc")
            .getValuesAs(jakarta.json.JsonString.class)
            .stream()
            .map(jakarta.json.JsonString::getString)
            .toList());
    error(
        api.post(
            poll(f.project()),
            body(
                "run_name",
                f.runName(),
                "job_submission_id",
                f.jobId(),
                "descending",
                true,
                "next_token",
                "-1")),
        "Invalid next_token: -1. Must be a non-negative integer.");
  }

  @Test
  void onlyMembersMayPoll(Api api, DstackServer server) {
    Fixture f = fixture(api, server);
    String outsider = api.createUser(Api.uniqueName("outsider"), "user");
    accessDenied(
        api.post(
            poll(f.project()),
            outsider,
            body("run_name", f.runName(), "job_submission_id", f.jobId())));
    accessDenied(api.post(poll(f.project()), outsider, null));
    assertEquals(
        5,
        ok(api.post(
                poll(f.project()),
                api.adminToken(),
                body("run_name", f.runName(), "job_submission_id", f.jobId())))
            .getJsonArray("logs")
            .size(),
        "global admins see every project");
  }
}
