package ai.dstack.server.it.lifecycle;

import static ai.dstack.server.it.Expect.body;
import static ai.dstack.server.it.Expect.ok;
import static ai.dstack.server.it.Expect.okNull;

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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A server on its own state directory with an SSH fleet of real hosts (TestHosts), every host idle,
 * and the virtual repo the recorded run specs name; runs go in as the CLI sends them.
 */
final class LoopbackFleet implements AutoCloseable {
  private final TestHosts hosts;
  private final DstackServer server;
  private final Api api;
  private final Duration waitLimit;

  private LoopbackFleet(TestHosts hosts, DstackServer server, Duration waitLimit) {
    this.hosts = hosts;
    this.server = server;
    this.api = new Api(server.url(), server.adminToken());
    this.waitLimit = waitLimit;
  }

  /** A fleet whose server's state directory is a temp dir named {@code dirPrefix…}. */
  static Builder builder(String dirPrefix) {
    return new Builder(dirPrefix);
  }

  static final class Builder {
    private final String dirPrefix;
    private int hostCount = 1;
    private String fleetName = "hosts";
    private List<String> fastPipelines =
        List.of("instances", "runs", "jobs_submitted", "jobs_running", "jobs_terminating");
    private final Map<String, String> env = new LinkedHashMap<>();
    private Duration waitLimit = Duration.ofSeconds(120);
    private String configYml;

    private Builder(String dirPrefix) {
      this.dirPrefix = dirPrefix;
    }

    Builder hosts(int count) {
      hostCount = count;
      return this;
    }

    Builder fleetName(String name) {
      fleetName = name;
      return this;
    }

    /** Pipelines polled every 0.5 s instead of their defaults (all five unless told). */
    Builder fastPipelines(String... pipelines) {
      fastPipelines = List.of(pipelines);
      return this;
    }

    Builder env(String name, String value) {
      env.put(name, value);
      return this;
    }

    /** The server's {@code config.yml}, written before it starts. */
    Builder configYml(String text) {
      configYml = text;
      return this;
    }

    /** How long {@link #await} waits unless told, the fleet's hosts becoming idle included. */
    Builder waitLimit(Duration limit) {
      waitLimit = limit;
      return this;
    }

    LoopbackFleet start() throws IOException, InterruptedException {
      Path work = Files.createDirectories(Path.of(System.getProperty("it.workDir")));
      DstackServer server = new DstackServer(Files.createTempDirectory(work, dirPrefix));
      for (String pipeline : fastPipelines) {
        String prefix = "DSTACK_SERVER_PIPELINE_" + pipeline.toUpperCase();
        server.env(prefix + "_MIN_INTERVAL", "0.5").env(prefix + "_MAX_IDLE_DELAY", "0.5");
      }
      env.forEach(server::env);
      if (configYml != null) {
        Files.createDirectories(server.stateDir());
        Files.writeString(server.stateDir().resolve("config.yml"), configYml);
      }
      TestHosts hosts = TestHosts.create(hostCount);
      try {
        server.start();
        LoopbackFleet fleet = new LoopbackFleet(hosts, server, waitLimit);
        fleet.initVirtualRepo();
        fleet.applyFleet(fleetName);
        return fleet;
      } catch (Exception | Error e) {
        // the caller gets no fleet to close
        close(server, hosts);
        throw e;
      }
    }
  }

  List<TestHost> hosts() {
    return hosts.hosts();
  }

  TestHost host(int index) {
    return hosts.host(index);
  }

  DstackServer server() {
    return server;
  }

  Api api() {
    return api;
  }

  private void initVirtualRepo() {
    okNull(
        api.post(
            "/api/project/main/repos/init",
            "{\"repo_id\":\"none\",\"repo_info\":{\"repo_type\":\"virtual\"},\"repo_creds\":null}"));
  }

  private void applyFleet(String name) throws InterruptedException {
    JsonArrayBuilder hostList = Json.createArrayBuilder();
    for (TestHost host : hosts()) {
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
    JsonObject spec =
        Json.createObjectBuilder()
            .add(
                "configuration",
                Json.createObjectBuilder()
                    .add("type", "fleet")
                    .add("name", name)
                    .add("ssh_config", Json.createObjectBuilder().add("hosts", hostList)))
            .add("profile", Json.createObjectBuilder().add("name", "default"))
            .build();
    JsonObject plan = ok(api.post("/api/project/main/fleets/get_plan", "{\"spec\":" + spec + "}"));
    ok(
        api.post(
            "/api/project/main/fleets/apply",
            "{\"plan\":{\"spec\":"
                + plan.get("spec")
                + ",\"current_resource\":null},\"force\":false}"));
    await(
        () -> ok(api.post("/api/project/main/fleets/get", body("name", name))),
        f ->
            f.getJsonArray("instances").size() == hosts().size()
                && f.getJsonArray("instances").stream()
                    .allMatch(i -> i.asJsonObject().getString("status").equals("idle")),
        "every host of fleet " + name + " idle");
  }

  /** The run spec the CLI sent to runs/get_plan in {@code traces/apply-task-yd.jsonl}. */
  static JsonObject recordedRunSpec() {
    return Traces.load("apply-task-yd.jsonl").stream()
        .filter(e -> e.path().endsWith("/runs/get_plan"))
        .findFirst()
        .map(e -> Expect.parse(e.requestBody()).asJsonObject())
        .orElseThrow()
        .getJsonObject("run_spec");
  }

  /** At least 1 CPU, 0.1 GB of memory and 0.1 GB of disk: what any test host offers. */
  static JsonObject resourcesEveryHostHas() {
    return Json.createObjectBuilder()
        .add("cpu", Json.createObjectBuilder().add("min", 1).addNull("max"))
        .add("memory", Json.createObjectBuilder().add("min", 0.1).addNull("max"))
        .add(
            "disk",
            Json.createObjectBuilder()
                .add("size", Json.createObjectBuilder().add("min", 0.1).addNull("max")))
        .build();
  }

  /**
   * The run spec the CLI sent in {@code traces/apply-task-yd.jsonl}, with resources this machine
   * has and the given name and configuration changes.
   */
  static JsonObject taskSpec(String name, Map<String, JsonValue> changes) {
    JsonObject recorded = recordedRunSpec();
    JsonObjectBuilder configuration =
        Json.createObjectBuilder(recorded.getJsonObject("configuration"))
            .add("name", name)
            .add("resources", resourcesEveryHostHas());
    changes.forEach(configuration::add);
    return Json.createObjectBuilder(recorded)
        .add("run_name", name)
        .add("configuration", configuration)
        .build();
  }

  static JsonValue commands(String... commands) {
    var list = Json.createArrayBuilder();
    for (String command : commands) {
      list.add(command);
    }
    return list.build();
  }

  /**
   * get_plan, then apply the echoed run spec and current resource, as {@code dstack apply -y -d}
   * does; the run as applied.
   */
  JsonObject applyRun(JsonObject runSpec) {
    JsonObject plan =
        ok(
            api.post(
                "/api/project/main/runs/get_plan",
                "{\"run_spec\":" + runSpec + ",\"max_offers\":null}"));
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

  JsonObject getRun(String name) {
    return ok(api.post("/api/project/main/runs/get", body("run_name", name)));
  }

  static Predicate<JsonObject> finished() {
    return r -> List.of("done", "failed", "terminated").contains(r.getString("status"));
  }

  /** Stops the run with {@code abort} and returns it once it has ended. */
  JsonObject abortAndWait(String name) throws InterruptedException {
    okNull(
        api.post("/api/project/main/runs/stop", body("runs_names", List.of(name), "abort", true)));
    return awaitRun(name, finished(), name + " to end");
  }

  JsonObject awaitRun(String name, Predicate<JsonObject> condition, String what)
      throws InterruptedException {
    return await(() -> getRun(name), condition, what);
  }

  JsonObject await(Supplier<JsonObject> read, Predicate<JsonObject> condition, String what)
      throws InterruptedException {
    return await(read, condition, waitLimit, what);
  }

  /** Reads until the condition holds; fails with the last reading after {@code limit}. */
  JsonObject await(
      Supplier<JsonObject> read, Predicate<JsonObject> condition, Duration limit, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
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

  @Override
  public void close() throws InterruptedException {
    close(server, hosts);
  }

  private static void close(DstackServer server, TestHosts hosts) throws InterruptedException {
    try {
      server.close();
    } finally {
      hosts.close();
    }
  }
}
