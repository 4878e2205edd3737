package ai.dstack.server.it.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.hosts.testing.TestHost;
import ai.dstack.server.it.Api;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Services on two real hosts, through the server's proxy: replicas spread the traffic and a killed
 * one is replaced, a re-deploying update rolls over without a failed request, and replicas scale
 * with the proxy's request rate.
 */
class ServicesIT {
  /**
   * Answers every GET with its job's id and the VERSION it was started with; {@code /health} fails
   * while READY_FILE (if set) does not exist.
   */
  private static final String REPLICA =
      """
      import http.server, os

      class Handler(http.server.BaseHTTPRequestHandler):
          def do_GET(self):
              out = (os.environ["DSTACK_JOB_ID"] + " " + os.environ.get("VERSION", "")).encode()
              if self.path == "/health" and not os.path.exists(os.environ.get("READY_FILE", "/")):
                  self.send_response(503)
                  self.send_header("Content-Length", "0")
                  self.end_headers()
                  return
              self.send_response(200)
              self.send_header("Content-Length", str(len(out)))
              self.end_headers()
              self.wfile.write(out)
          def log_message(self, *args):
              pass

      http.server.ThreadingHTTPServer(("127.0.0.1", 8000), Handler).serve_forever()
      """;

  private static LoopbackFleet fleet;
  private static Api api;

  @BeforeAll
  static void start() throws Exception {
    fleet = LoopbackFleet.builder("services").hosts(2).waitLimit(Duration.ofSeconds(150)).start();
    api = fleet.api();
  }

  @AfterAll
  static void stop() throws Exception {
    if (fleet != null) {
      fleet.close();
    }
  }

  /** The replica service; {@code extra} adds configuration fields (scaling, probes, env). */
  private static JsonObject spec(
      String name, String version, JsonValue replicas, JsonObject extra) {
    JsonObject recorded = LoopbackFleet.recordedRunSpec();
    String script = Base64.getEncoder().encodeToString(REPLICA.getBytes(StandardCharsets.UTF_8));
    JsonObjectBuilder configuration =
        Json.createObjectBuilder()
            .add("type", "service")
            .add("name", name)
            .add("port", 8000)
            .add("replicas", replicas)
            .add("env", Json.createObjectBuilder().add("VERSION", version))
            .add(
                "commands",
                Json.createArrayBuilder()
                    .add("echo " + script + " | base64 -d > replica.py")
                    .add("exec python3 replica.py"))
            .add("resources", LoopbackFleet.resourcesEveryHostHas());
    if (extra != null) {
      extra.forEach(configuration::add);
    }
    return Json.createObjectBuilder(recorded)
        .add("run_name", name)
        .add("configuration", configuration)
        .build();
  }

  /** Replicas whose latest submission is running, as job ids. */
  private static Set<String> runningReplicas(JsonObject run) {
    Set<String> ids = new HashSet<>();
    run.getJsonArray("jobs")
        .forEach(
            job -> {
              var submissions = job.asJsonObject().getJsonArray("job_submissions");
              JsonObject latest = submissions.getJsonObject(submissions.size() - 1);
              if (latest.getString("status").equals("running")) {
                ids.add(latest.getString("id"));
              }
            });
    return ids;
  }

  private static Api.Reply call(String name) {
    return api.send("GET", "/proxy/services/main/" + name + "/", api.adminToken(), null, Map.of());
  }

  /** Job ids that answered {@code n} calls (all must succeed). */
  private static Set<String> answering(String name, int n) {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < n; i++) {
      Api.Reply reply = call(name);
      assertEquals(200, reply.status(), reply.text());
      seen.add(reply.text().split(" ")[0]);
    }
    return seen;
  }

  /** How many distinct replicas answered {@code n} calls; failed calls count as none. */
  private static JsonObject answerers(String name, int n) {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < n; i++) {
      Api.Reply reply = call(name);
      if (reply.status() == 200) {
        seen.add(reply.text().split(" ")[0]);
      }
    }
    return Json.createObjectBuilder().add("n", seen.size()).build();
  }

  @Test
  void replicasShareTheTrafficAndAKilledReplicaIsReplaced() throws Exception {
    try {
      replicasShareTheTrafficAndAKilledOneIsReplaced();
    } finally {
      fleet.abortAndWait("pair");
    }
  }

  private void replicasShareTheTrafficAndAKilledOneIsReplaced() throws Exception {
    JsonObject submitted = fleet.applyRun(spec("pair", "v1", Json.createValue(2), null));
    assertEquals("/proxy/services/main/pair/", submitted.getJsonObject("service").getString("url"));
    JsonObject running =
        fleet.awaitRun("pair", r -> runningReplicas(r).size() == 2, "two replicas");
    fleet.await(() -> answerers("pair", 20), o -> o.getInt("n") == 2, "both replicas answering");
    Set<String> before = runningReplicas(running);
    TestHost first = fleet.host(0);
    first.exec("pkill -u \"$(id -u)\" -f 'python3 replica.py'");
    // the proxy moves to the other replica at once: no failed call
    assertTrue(answering("pair", 20).size() >= 1);
    JsonObject replaced =
        fleet.awaitRun(
            "pair",
            r -> runningReplicas(r).size() == 2 && !runningReplicas(r).equals(before),
            "the killed replica replaced");
    assertTrue(
        replaced.getJsonArray("jobs").stream()
            .anyMatch(j -> j.asJsonObject().getJsonArray("job_submissions").size() >= 2),
        "the replaced replica shows its second submission");
  }

  @Test
  void aRedeployingUpdateRollsOverWithoutAFailedRequest() throws Exception {
    try {
      rollOver();
    } finally {
      fleet.abortAndWait("rolling");
    }
  }

  private void rollOver() throws Exception {
    fleet.applyRun(spec("rolling", "v1", Json.createValue(1), null));
    fleet.awaitRun("rolling", r -> runningReplicas(r).size() == 1, "the first replica");
    fleet.await(() -> answerers("rolling", 1), o -> o.getInt("n") == 1, "the replica answering");
    AtomicBoolean loading = new AtomicBoolean(true);
    AtomicInteger failures = new AtomicInteger();
    AtomicInteger calls = new AtomicInteger();
    Set<String> versions = java.util.concurrent.ConcurrentHashMap.newKeySet();
    Thread load =
        new Thread(
            () -> {
              while (loading.get()) {
                Api.Reply reply = call("rolling");
                calls.incrementAndGet();
                if (reply.status() != 200) {
                  failures.incrementAndGet();
                } else {
                  versions.add(reply.text().split(" ")[1]);
                }
                try {
                  Thread.sleep(50);
                } catch (InterruptedException e) {
                  return;
                }
              }
            });
    load.start();
    JsonObject updated = fleet.applyRun(spec("rolling", "v2", Json.createValue(1), null));
    assertEquals(1, updated.getInt("deployment_num"));
    fleet.awaitRun(
        "rolling",
        r ->
            r.getJsonArray("jobs").stream()
                    .map(j -> j.asJsonObject().getJsonArray("job_submissions"))
                    .map(s -> s.getJsonObject(s.size() - 1))
                    .filter(s -> s.getString("status").equals("running"))
                    .allMatch(s -> s.getInt("deployment_num") == 1)
                && runningReplicas(r).size() == 1
                && r.getJsonArray("jobs").stream()
                    .map(j -> j.asJsonObject().getJsonArray("job_submissions"))
                    .map(s -> s.getJsonObject(s.size() - 1).getString("status"))
                    .noneMatch(
                        List.of("submitted", "provisioning", "pulling", "terminating")::contains),
        "the new deployment alone");
    Thread.sleep(1500);
    loading.set(false);
    load.join();
    assertEquals(0, failures.get(), failures + " of " + calls + " calls failed during the update");
    assertTrue(versions.contains("v2"), versions.toString());
    assertEquals("v2", call("rolling").text().split(" ")[1]);
  }

  @Test
  void replicasScaleWithTheRequestRate() throws Exception {
    try {
      scale();
    } finally {
      fleet.abortAndWait("elastic");
    }
  }

  private void scale() throws Exception {
    JsonObject scaling =
        Json.createObjectBuilder()
            .add("metric", "rps")
            .add("target", 1)
            .add("scale_up_delay", 0)
            .add("scale_down_delay", 5)
            .build();
    fleet.applyRun(
        spec(
            "elastic",
            "v1",
            Json.createValue("1..2"),
            Json.createObjectBuilder().add("scaling", scaling).build()));
    fleet.awaitRun("elastic", r -> runningReplicas(r).size() == 1, "one replica");
    AtomicBoolean loading = new AtomicBoolean(true);
    Thread load =
        new Thread(
            () -> {
              while (loading.get()) {
                call("elastic");
                try {
                  Thread.sleep(100);
                } catch (InterruptedException e) {
                  return;
                }
              }
            });
    load.start();
    try {
      fleet.awaitRun("elastic", r -> runningReplicas(r).size() == 2, "a second replica under load");
    } finally {
      loading.set(false);
      load.join();
    }
    fleet.awaitRun("elastic", r -> runningReplicas(r).size() == 1, "back to one replica when idle");
  }

  @Test
  void probesDecideWhenAReplicaTakesRequests() throws Exception {
    Path ready = Path.of("/tmp", "dstack-probe-" + UUID.randomUUID());
    try {
      probed(ready);
    } finally {
      Files.deleteIfExists(ready);
      fleet.abortAndWait("probed");
    }
  }

  private void probed(Path ready) throws Exception {
    JsonObject probe =
        Json.createObjectBuilder()
            .add("type", "http")
            .add("url", "/health")
            .add("interval", 1)
            .add("ready_after", 2)
            .build();
    JsonObject extra =
        Json.createObjectBuilder()
            .add("probes", Json.createArrayBuilder().add(probe))
            .add(
                "env",
                Json.createObjectBuilder().add("VERSION", "v1").add("READY_FILE", ready.toString()))
            .build();
    fleet.applyRun(spec("probed", "v1", Json.createValue(1), extra));
    JsonObject running =
        fleet.awaitRun("probed", r -> runningReplicas(r).size() == 1, "the replica running");
    JsonObject jobSpec = running.getJsonArray("jobs").getJsonObject(0).getJsonObject("job_spec");
    assertEquals("/health", jobSpec.getJsonArray("probes").getJsonObject(0).getString("url"));
    assertEquals(10, jobSpec.getJsonArray("probes").getJsonObject(0).getInt("timeout"));
    // its process runs and answers /, but the probe fails: the proxy has no replica to send to
    Thread.sleep(3000);
    assertEquals(404, call("probed").status());
    assertEquals(0, successStreak(fleet.getRun("probed")));
    Files.createFile(ready);
    fleet.awaitRun("probed", r -> successStreak(r) >= 2, "the probe succeeding twice in a row");
    fleet.await(
        () -> Json.createObjectBuilder().add("status", call("probed").status()).build(),
        o -> o.getInt("status") == 200,
        "the ready replica taking requests");
    Files.delete(ready);
    fleet.awaitRun("probed", r -> successStreak(r) == 0, "a failure resetting the streak");
  }

  private static int successStreak(JsonObject run) {
    var submissions = run.getJsonArray("jobs").getJsonObject(0).getJsonArray("job_submissions");
    var probes = submissions.getJsonObject(submissions.size() - 1).getJsonArray("probes");
    return probes.isEmpty() ? 0 : probes.getJsonObject(0).getInt("success_streak");
  }
}
