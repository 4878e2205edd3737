package ai.dstack.server.it.lifecycle;

import static ai.dstack.server.it.Expect.body;
import static ai.dstack.server.it.Expect.ok;
import static ai.dstack.server.it.Expect.okNull;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.hosts.testing.TestHost;
import ai.dstack.server.hosts.testing.TestHosts;
import ai.dstack.server.it.Api;
import ai.dstack.server.it.DstackServer;
import ai.dstack.server.it.Expect;
import ai.dstack.server.it.Traces;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Services on two real hosts, through the server's proxy: replicas spread the traffic and a killed
 * one is replaced, a re-deploying update rolls over without a failed request, and replicas scale
 * with the proxy's request rate.
 */
class ServicesIT {
  private static final Duration WAIT = Duration.ofSeconds(150);

  /** Answers every GET with its job's id and the VERSION it was started with. */
  private static final String REPLICA =
      """
      import http.server, os

      class Handler(http.server.BaseHTTPRequestHandler):
          def do_GET(self):
              out = (os.environ["DSTACK_JOB_ID"] + " " + os.environ.get("VERSION", "")).encode()
              self.send_response(200)
              self.send_header("Content-Length", str(len(out)))
              self.end_headers()
              self.wfile.write(out)
          def log_message(self, *args):
              pass

      http.server.ThreadingHTTPServer(("127.0.0.1", 8000), Handler).serve_forever()
      """;

  private static TestHosts hosts;
  private static DstackServer server;
  private static Api api;

  @BeforeAll
  static void start() throws Exception {
    hosts = TestHosts.create(2);
    Path work = Files.createDirectories(Path.of(System.getProperty("it.workDir")));
    server = new DstackServer(Files.createTempDirectory(work, "services"));
    for (String pipeline :
        List.of("instances", "runs", "jobs_submitted", "jobs_running", "jobs_terminating")) {
      server
          .env("DSTACK_SERVER_PIPELINE_" + pipeline.toUpperCase() + "_MIN_INTERVAL", "0.5")
          .env("DSTACK_SERVER_PIPELINE_" + pipeline.toUpperCase() + "_MAX_IDLE_DELAY", "0.5");
    }
    server.start();
    api = new Api(server.url(), server.adminToken());
    okNull(
        api.post(
            "/api/project/main/repos/init",
            "{\"repo_id\":\"none\",\"repo_info\":{\"repo_type\":\"virtual\"},\"repo_creds\":null}"));
    JsonArrayBuilder hostList = Json.createArrayBuilder();
    for (int i = 0; i < 2; i++) {
      TestHost host = hosts.host(i);
      hostList.add(
          Json.createObjectBuilder()
              .add("hostname", host.address())
              .add("port", host.port())
              .add("user", host.user())
              .add(
                  "ssh_key",
                  Json.createObjectBuilder()
                      .add("public", host.key().publicKey())
                      .add("private", host.key().privateKey())));
    }
    JsonObject fleet =
        Json.createObjectBuilder()
            .add(
                "configuration",
                Json.createObjectBuilder()
                    .add("type", "fleet")
                    .add("name", "hosts")
                    .add("ssh_config", Json.createObjectBuilder().add("hosts", hostList)))
            .add("profile", Json.createObjectBuilder().add("name", "default"))
            .build();
    JsonObject plan = ok(api.post("/api/project/main/fleets/get_plan", "{\"spec\":" + fleet + "}"));
    ok(
        api.post(
            "/api/project/main/fleets/apply",
            "{\"plan\":{\"spec\":"
                + plan.get("spec")
                + ",\"current_resource\":null},\"force\":false}"));
    await(
        () -> ok(api.post("/api/project/main/fleets/get", body("name", "hosts"))),
        f ->
            f.getJsonArray("instances").stream()
                .allMatch(i -> i.asJsonObject().getString("status").equals("idle")),
        "both hosts idle");
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

  private static JsonObject spec(
      String name, String version, JsonValue replicas, JsonObject scaling) {
    JsonObject recorded =
        Traces.load("apply-task-yd.jsonl").stream()
            .filter(e -> e.path().endsWith("/runs/get_plan"))
            .findFirst()
            .map(e -> Expect.parse(e.requestBody()).asJsonObject())
            .orElseThrow()
            .getJsonObject("run_spec");
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
            .add(
                "resources",
                Json.createObjectBuilder()
                    .add("cpu", Json.createObjectBuilder().add("min", 1).addNull("max"))
                    .add("memory", Json.createObjectBuilder().add("min", 0.1).addNull("max"))
                    .add(
                        "disk",
                        Json.createObjectBuilder()
                            .add(
                                "size",
                                Json.createObjectBuilder().add("min", 0.1).addNull("max"))));
    if (scaling != null) {
      configuration.add("scaling", scaling);
    }
    return Json.createObjectBuilder(recorded)
        .add("run_name", name)
        .add("configuration", configuration)
        .build();
  }

  /** get_plan, then apply the echoed plan with its current resource, as the CLI does. */
  private static JsonObject apply(JsonObject spec) {
    JsonObject plan =
        ok(api.post("/api/project/main/runs/get_plan", "{\"run_spec\":" + spec + "}"));
    return ok(
        api.post(
            "/api/project/main/runs/apply",
            Json.createObjectBuilder()
                .add(
                    "plan",
                    Json.createObjectBuilder()
                        .add("run_spec", plan.get("run_spec"))
                        .add("current_resource", plan.get("current_resource")))
                .add("force", false)
                .build()
                .toString()));
  }

  private static JsonObject run(String name) {
    return ok(api.post("/api/project/main/runs/get", body("run_name", name)));
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

  private static JsonObject await(
      Supplier<JsonObject> read, Predicate<JsonObject> condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    JsonObject last = null;
    while (System.nanoTime() < deadline) {
      last = read.get();
      if (condition.test(last)) {
        return last;
      }
      Thread.sleep(300);
    }
    throw new AssertionError("timed out waiting for " + what + ": " + last);
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

  private static void stopAndWait(String name) throws InterruptedException {
    okNull(
        api.post("/api/project/main/runs/stop", body("runs_names", List.of(name), "abort", true)));
    await(
        () -> run(name),
        r -> List.of("done", "failed", "terminated").contains(r.getString("status")),
        name + " to end");
  }

  @Test
  void replicasShareTheTrafficAndAKilledReplicaIsReplaced() throws Exception {
    try {
      replicasShareTheTrafficAndAKilledOneIsReplaced();
    } finally {
      stopAndWait("pair");
    }
  }

  private void replicasShareTheTrafficAndAKilledOneIsReplaced() throws Exception {
    JsonObject submitted = apply(spec("pair", "v1", Json.createValue(2), null));
    assertEquals("/proxy/services/main/pair/", submitted.getJsonObject("service").getString("url"));
    JsonObject running =
        await(() -> run("pair"), r -> runningReplicas(r).size() == 2, "two replicas");
    await(() -> answerers("pair", 20), o -> o.getInt("n") == 2, "both replicas answering");
    Set<String> before = runningReplicas(running);
    TestHost first = hosts.host(0);
    first.exec("pkill -u \"$(id -u)\" -f 'python3 replica.py'");
    // the proxy moves to the other replica at once: no failed call
    assertTrue(answering("pair", 20).size() >= 1);
    JsonObject replaced =
        await(
            () -> run("pair"),
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
      stopAndWait("rolling");
    }
  }

  private void rollOver() throws Exception {
    apply(spec("rolling", "v1", Json.createValue(1), null));
    await(() -> run("rolling"), r -> runningReplicas(r).size() == 1, "the first replica");
    await(() -> answerers("rolling", 1), o -> o.getInt("n") == 1, "the replica answering");
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
    JsonObject updated = apply(spec("rolling", "v2", Json.createValue(1), null));
    assertEquals(1, updated.getInt("deployment_num"));
    await(
        () -> run("rolling"),
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
      stopAndWait("elastic");
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
    apply(spec("elastic", "v1", Json.createValue("1..2"), scaling));
    await(() -> run("elastic"), r -> runningReplicas(r).size() == 1, "one replica");
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
      await(
          () -> run("elastic"), r -> runningReplicas(r).size() == 2, "a second replica under load");
    } finally {
      loading.set(false);
      load.join();
    }
    await(
        () -> run("elastic"), r -> runningReplicas(r).size() == 1, "back to one replica when idle");
  }
}
