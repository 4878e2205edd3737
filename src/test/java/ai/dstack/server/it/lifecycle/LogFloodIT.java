package ai.dstack.server.it.lifecycle;

import static ai.dstack.server.it.Expect.body;
import static ai.dstack.server.it.Expect.ok;
import static ai.dstack.server.it.Expect.okNull;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.hosts.testing.TestHosts;
import ai.dstack.server.it.Api;
import ai.dstack.server.it.DstackServer;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A job printing as fast as it can for 30 s with no log quota, on a server with a 256 MB heap: the
 * server takes the logs in bounded pages (they wait on the host, not in the heap), keeps answering
 * the API meanwhile, and stores far more log bytes than its heap could ever hold.
 */
class LogFloodIT {
  private static final long FLOOD_SECONDS = 30;

  /** Past the server's whole 256 MB heap. */
  private static final long STOP_AFTER_BYTES = 320L << 20;

  private static TestHosts hosts;
  private static DstackServer server;
  private static Api api;

  @BeforeAll
  static void start() throws Exception {
    hosts = TestHosts.create(1);
    Path work = Files.createDirectories(Path.of(System.getProperty("it.workDir")));
    server =
        new DstackServer(Files.createTempDirectory(work, "flood"))
            .env("DSTACK_SERVER_LOG_QUOTA_PER_JOB_HOUR", "0")
            .env("DSTACK_SERVER_PIPELINE_INSTANCES_MIN_INTERVAL", "0.5")
            .env("DSTACK_SERVER_PIPELINE_INSTANCES_MAX_IDLE_DELAY", "0.5")
            .start();
    api = new Api(server.url(), server.adminToken());
    okNull(
        api.post(
            "/api/project/main/repos/init",
            "{\"repo_id\":\"none\",\"repo_info\":{\"repo_type\":\"virtual\"},\"repo_creds\":null}"));
    var host = hosts.host(0);
    JsonObject spec =
        Json.createObjectBuilder()
            .add(
                "configuration",
                Json.createObjectBuilder()
                    .add("type", "fleet")
                    .add("name", "flood-host")
                    .add(
                        "ssh_config",
                        Json.createObjectBuilder()
                            .add(
                                "hosts",
                                Json.createArrayBuilder()
                                    .add(
                                        Json.createObjectBuilder()
                                            .add("hostname", host.address())
                                            .add("port", host.port())
                                            .add("user", host.user())
                                            .add(
                                                "ssh_key",
                                                Json.createObjectBuilder()
                                                    .add("public", host.key().publicKey())
                                                    .add("private", host.key().privateKey()))))))
            .add("profile", Json.createObjectBuilder().add("name", "default"))
            .build();
    JsonObject plan = ok(api.post("/api/project/main/fleets/get_plan", "{\"spec\":" + spec + "}"));
    ok(
        api.post(
            "/api/project/main/fleets/apply",
            "{\"plan\":{\"spec\":"
                + plan.get("spec")
                + ",\"current_resource\":null},\"force\":false}"));
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (!ok(api.post("/api/project/main/fleets/get", body("name", "flood-host")))
        .getJsonArray("instances")
        .getJsonObject(0)
        .getString("status")
        .equals("idle")) {
      assertTrue(System.nanoTime() < deadline, "the host did not become idle");
      Thread.sleep(500);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (hosts != null) {
      hosts.close();
    }
  }

  /** Bytes of job logs the server stored for the run so far. */
  private static long stored(Path logs) throws Exception {
    if (!Files.exists(logs)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(logs)) {
      return files
          .filter(p -> p.getFileName().toString().equals("job.log"))
          .mapToLong(p -> p.toFile().length())
          .sum();
    }
  }

  @Test
  void aJobFloodingItsOutputDoesNotGrowTheHeapAndTheApiKeepsAnswering() throws Exception {
    String line = "flood ".repeat(30);
    JsonObject run =
        ok(
            api.post(
                "/api/project/main/runs/apply",
                "{\"plan\":{\"run_spec\":{\"run_name\":\"flood\",\"repo_id\":\"none\","
                    + "\"repo_data\":{\"repo_type\":\"virtual\"},\"configuration\":{\"type\":\"task\","
                    + "\"commands\":[\"timeout "
                    + FLOOD_SECONDS
                    + " yes '"
                    + line
                    + "' || true\"],"
                    + "\"resources\":{\"cpu\":{\"min\":1},\"memory\":{\"min\":0.1},"
                    + "\"disk\":{\"size\":{\"min\":0.1}}}},\"profile\":{\"name\":\"default\"}},"
                    + "\"current_resource\":null},\"force\":false}"));
    List<Long> latenciesMs = new ArrayList<>();
    long floodEnds = System.nanoTime() + Duration.ofSeconds(FLOOD_SECONDS + 5).toNanos();
    long deadline = System.nanoTime() + Duration.ofSeconds(FLOOD_SECONDS + 240).toNanos();
    Path logs = server.stateDir().resolve("projects/main/logs/flood");
    String status = run.getString("status");
    boolean stopped = false;
    while (!List.of("done", "failed", "terminated").contains(status)) {
      assertTrue(System.nanoTime() < deadline, "the flood run did not end");
      long started = System.nanoTime();
      var listed = api.post("/api/runs/list", "{\"project_name\":\"main\",\"limit\":100}");
      latenciesMs.add((System.nanoTime() - started) / 1_000_000);
      assertEquals(200, listed.status(), listed.text());
      status =
          ok(api.post("/api/project/main/runs/get", body("run_name", "flood"))).getString("status");
      if (!stopped && System.nanoTime() > floodEnds && stored(logs) > STOP_AFTER_BYTES) {
        // the host still holds a backlog to take; the point is made, the rest need not wait
        okNull(
            api.post(
                "/api/project/main/runs/stop",
                body("runs_names", List.of("flood"), "abort", true)));
        stopped = true;
      }
      Thread.sleep(250);
    }
    assertTrue(stopped || status.equals("done"), status);
    long stored = stored(logs);
    Collections.sort(latenciesMs);
    long p99 = latenciesMs.get((int) Math.min(latenciesMs.size() - 1, latenciesMs.size() * 0.99));
    System.out.printf(
        "log flood: %d MB stored, runs/list answered %d times, p50 %d ms, p99 %d ms%n",
        stored >> 20, latenciesMs.size(), latenciesMs.get(latenciesMs.size() / 2), p99);
    assertTrue(stored > 256L << 20, "more log bytes than the server's whole heap: " + stored);
    assertTrue(p99 < 5000, "runs/list kept answering during the flood: p99 " + p99 + " ms");
    assertTrue(server.logText().lines().noneMatch(l -> l.contains("OutOfMemoryError")));
  }
}
