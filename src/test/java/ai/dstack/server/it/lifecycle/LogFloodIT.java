package ai.dstack.server.it.lifecycle;

import static ai.dstack.server.it.Expect.body;
import static ai.dstack.server.it.Expect.ok;
import static ai.dstack.server.it.Expect.okNull;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.it.Api;
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

  private static LoopbackFleet fleet;
  private static Api api;

  @BeforeAll
  static void start() throws Exception {
    fleet =
        LoopbackFleet.builder("flood")
            .fleetName("flood-host")
            .fastPipelines("instances")
            .env("DSTACK_SERVER_LOG_QUOTA_PER_JOB_HOUR", "0")
            .start();
    api = fleet.api();
  }

  @AfterAll
  static void stop() throws Exception {
    if (fleet != null) {
      fleet.close();
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
    Path logs = fleet.server().stateDir().resolve("projects/main/logs/flood");
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
    assertTrue(fleet.server().logText().lines().noneMatch(l -> l.contains("OutOfMemoryError")));
  }
}
