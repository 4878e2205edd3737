package ai.dstack.server.it.lifecycle;

import static ai.dstack.server.it.Expect.body;
import static ai.dstack.server.it.Expect.ok;
import static ai.dstack.server.it.Expect.okArray;
import static ai.dstack.server.it.lifecycle.LoopbackFleet.commands;
import static ai.dstack.server.it.lifecycle.LoopbackFleet.finished;
import static ai.dstack.server.it.lifecycle.LoopbackFleet.taskSpec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.it.Api;
import ai.dstack.server.it.DstackServer;
import ai.dstack.server.it.TestDatabases;
import ai.dstack.server.logs.testing.FakeCloudWatch;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Two server processes on one PostgreSQL database with CloudWatch-style external logs (a local
 * endpoint speaking its protocol), both doing background work on one SSH fleet of real hosts: runs
 * submitted to either run once, both answer with the same state and logs, and when one is killed
 * with SIGKILL mid-run the other carries its run to the end once the leases expire.
 */
class ReplicasEndToEndIT {
  private static final List<String> PIPELINES =
      List.of("instances", "runs", "jobs_submitted", "jobs_running", "jobs_terminating");

  @Test
  void twoReplicasShareTheWorkTheStateAndTheLogsAndOneTakesOverFromAKilledOne() throws Exception {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("DSTACK_DATABASE_URL", TestDatabases.freshPostgres());
    env.put("DSTACK_SERVER_CLOUDWATCH_LOG_GROUP", "dstack-runs");
    env.put("DSTACK_SERVER_CLOUDWATCH_LOG_REGION", "eu-west-1");
    env.put("AWS_ACCESS_KEY_ID", "AKIATEST");
    env.put("AWS_SECRET_ACCESS_KEY", "test-secret");
    env.put("DSTACK_SERVER_LOG_QUOTA_PER_JOB_HOUR", "0");
    for (String pipeline : PIPELINES) {
      String prefix = "DSTACK_SERVER_PIPELINE_" + pipeline.toUpperCase() + "_";
      // a killed replica's leases free up within seconds
      env.put(prefix + "LEASE_TIMEOUT", "10");
    }
    try (FakeCloudWatch cloudWatch = new FakeCloudWatch("dstack-runs")) {
      env.put("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", cloudWatch.endpoint().toString());
      LoopbackFleet.Builder builder =
          LoopbackFleet.builder("replica-a").hosts(2).waitLimit(Duration.ofSeconds(150));
      env.forEach(builder::env);
      try (LoopbackFleet fleet = builder.start();
          DstackServer b = secondReplica(env)) {
        Api a = fleet.api();
        Api viaB = new Api(b.url(), a.adminToken());

        fleet.applyRun(taskSpec("from-a", Map.of("commands", commands("echo printed by from-a"))));
        applyVia(viaB, taskSpec("from-b", Map.of("commands", commands("echo printed by from-b"))));
        for (String run : List.of("from-a", "from-b")) {
          JsonObject done = fleet.await(() -> get(viaB, run), finished(), run + " to end");
          assertEquals("done", done.getString("status"), done.toString());
          assertEquals(1, done.getJsonArray("jobs").size());
          // once: a single submission of its single job
          assertEquals(
              1, done.getJsonArray("jobs").getJsonObject(0).getJsonArray("job_submissions").size());
        }
        // the same state from both, the same logs from both (read from CloudWatch, not files)
        assertEquals(runNames(a), runNames(viaB));
        assertTrue(logs(viaB, get(a, "from-a")).contains("printed by from-a"));
        assertTrue(logs(a, get(viaB, "from-b")).contains("printed by from-b"));
        assertTrue(
            cloudWatch.streamNames().stream().anyMatch(s -> s.startsWith("main/from-a/")),
            cloudWatch.streamNames().toString());
        assertNotNull(poll(viaB, get(a, "from-a")).get("external_url"));
        for (DstackServer replica : List.of(fleet.server(), b)) {
          assertTrue(replica.logText().contains("Using CloudWatchLogStorage"), replica.logText());
        }

        fleet.applyRun(
            taskSpec(
                "outlives-a",
                Map.of(
                    "commands", commands("for i in $(seq 1 25); do echo step-$i; sleep 1; done"))));
        fleet.await(
            () -> get(viaB, "outlives-a"),
            r -> r.getString("status").equals("running"),
            "outlives-a to run");
        fleet.server().kill();
        JsonObject survived =
            fleet.await(
                () -> get(viaB, "outlives-a"),
                finished(),
                Duration.ofSeconds(180),
                "outlives-a to end on b");
        assertEquals("done", survived.getString("status"), survived.toString());
        String text = logs(viaB, survived);
        Set<String> steps =
            text.lines().filter(l -> l.startsWith("step-")).collect(Collectors.toSet());
        assertEquals(25, steps.size(), "every line, whichever replica pulled it: " + text);
      }
    }
  }

  private static DstackServer secondReplica(Map<String, String> env) throws Exception {
    Path work = Files.createDirectories(Path.of(System.getProperty("it.workDir")));
    DstackServer b = new DstackServer(Files.createTempDirectory(work, "replica-b"));
    env.forEach(b::env);
    for (String pipeline : PIPELINES) {
      String prefix = "DSTACK_SERVER_PIPELINE_" + pipeline.toUpperCase();
      b.env(prefix + "_MIN_INTERVAL", "0.5").env(prefix + "_MAX_IDLE_DELAY", "0.5");
    }
    return b.start();
  }

  private static void applyVia(Api api, JsonObject runSpec) {
    JsonObject plan =
        ok(
            api.post(
                "/api/project/main/runs/get_plan",
                "{\"run_spec\":" + runSpec + ",\"max_offers\":null}"));
    ok(
        api.post(
            "/api/project/main/runs/apply",
            "{\"plan\":{\"run_spec\":"
                + plan.get("run_spec")
                + ",\"current_resource\":"
                + plan.get("current_resource")
                + "},\"force\":false}"));
  }

  private static JsonObject get(Api api, String run) {
    return ok(api.post("/api/project/main/runs/get", body("run_name", run)));
  }

  private static List<String> runNames(Api api) {
    return okArray(api.post("/api/runs/list", "{}")).stream()
        .map(r -> r.asJsonObject().getJsonObject("run_spec").getString("run_name"))
        .sorted()
        .toList();
  }

  private static JsonObject poll(Api api, JsonObject run) {
    return ok(
        api.post(
            "/api/project/main/logs/poll",
            body(
                "run_name",
                run.getJsonObject("run_spec").getString("run_name"),
                "job_submission_id",
                run.getJsonObject("latest_job_submission").getString("id"),
                "limit",
                1000)));
  }

  private static String logs(Api api, JsonObject run) {
    StringBuilder text = new StringBuilder();
    for (JsonValue event : poll(api, run).getJsonArray("logs")) {
      text.append(
          new String(
              Base64.getDecoder().decode(event.asJsonObject().getString("message")),
              StandardCharsets.UTF_8));
    }
    return text.toString();
  }
}
