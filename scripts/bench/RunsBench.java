import ai.dstack.server.hosts.testing.TestHost;
import ai.dstack.server.hosts.testing.TestHosts;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * Load generator of {@code scripts/bench/runs.sh}: runs/apply (the CLI's get_plan then apply), then
 * runs/list and runs/get under a fixed number of connections, then submit-to-running latency on an
 * SSH-fleet host (a network namespace with its own sshd, TestHosts; root). Results on stdout, one
 * line per measurement (medians over the rounds); progress on stderr.
 *
 * <pre>
 * java -cp TEST_CLASSPATH scripts/bench/RunsBench.java --url URL --token T [--server-pid PID]
 *     [--rounds 3] [--seconds 10] [--runs 2000] [--latency-runs 10] [part ...]
 * parts: apply list get latency (default: all)
 * </pre>
 */
public final class RunsBench {
  /** The run spec {@code dstack apply -f task.yml -y -d} sent (traces/apply-task-yd.jsonl). */
  private static final String TASK_SPEC =
      """
      {"run_name": "hello-task", "repo_id": "none", "repo_data": {"repo_type": "virtual"},
       "repo_code_hash": null, "repo_dir": null, "file_archives": [], "working_dir": null,
       "configuration_path": "task.yml",
       "configuration": {"nodes": 1, "ports": [], "commands": ["echo hello"], "type": "task",
        "name": "hello-task", "image": null, "user": null, "privileged": false, "entrypoint": null,
        "working_dir": null, "home_dir": "/root", "registry_auth": null, "python": null,
        "nvcc": null, "single_branch": null, "env": {}, "shell": null,
        "resources": {"cpu": {"min": 2, "max": null}, "memory": {"min": 8.0, "max": null},
         "shm_size": null, "gpu": {"vendor": null, "name": null, "count": {"min": 0, "max": null},
         "memory": null, "total_memory": null, "compute_capability": null},
         "disk": {"size": {"min": 100.0, "max": null}}},
        "priority": null, "volumes": [], "docker": null, "repos": [], "files": [], "setup": [],
        "backends": null, "regions": null, "availability_zones": null, "instance_types": null,
        "reservation": null, "spot_policy": null, "retry": null, "max_duration": null,
        "stop_duration": null, "max_price": null, "creation_policy": null, "idle_duration": null,
        "utilization_policy": null, "startup_order": null, "stop_criteria": null,
        "schedule": null, "fleets": null, "tags": null},
       "profile": {"backends": null, "regions": null, "availability_zones": null,
        "instance_types": null, "reservation": null, "spot_policy": null, "retry": null,
        "max_duration": null, "stop_duration": null, "max_price": null, "creation_policy": null,
        "idle_duration": null, "utilization_policy": null, "startup_order": null,
        "stop_criteria": null, "schedule": null, "fleets": null, "tags": null,
        "name": "default", "default": false},
       "ssh_key_pub": null}
      """;

  private static final String LIST_BODY =
      "{\"project_name\":\"main\",\"limit\":100,\"include_jobs\":true}";
  private static final long TICKS_PER_SECOND = 100; // USER_HZ of /proc/PID/stat

  private final HttpClient http;
  private final String url;
  private final String token;
  private final long serverPid;
  private final int rounds;
  private final int seconds;
  /** Names of every run applied, for runs/get. */
  private final List<String> names = new ArrayList<>();

  private RunsBench(Map<String, String> options) {
    url = options.get("url");
    token = options.get("token");
    serverPid = Long.parseLong(options.getOrDefault("server-pid", "0"));
    rounds = Integer.parseInt(options.getOrDefault("rounds", "3"));
    seconds = Integer.parseInt(options.getOrDefault("seconds", "10"));
    // wrk's "2 threads": the client's own I/O runs on two threads; callers block in send()
    http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .executor(Executors.newFixedThreadPool(2))
            .connectTimeout(Duration.ofSeconds(10))
            .build();
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>();
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].startsWith("--")) {
        options.put(args[i].substring(2), args[++i]);
      } else {
        parts.add(args[i]);
      }
    }
    if (parts.isEmpty()) {
      parts = List.of("apply", "list", "get", "latency");
    }
    RunsBench bench = new RunsBench(options);
    try {
      bench.post("/api/project/main/repos/init",
          "{\"repo_id\":\"none\",\"repo_info\":{\"repo_type\":\"virtual\"},\"repo_creds\":null}");
      int total = Integer.parseInt(options.getOrDefault("runs", "2000"));
      if (parts.contains("apply") || parts.contains("list") || parts.contains("get")) {
        bench.applies(parts.contains("apply"), total);
      }
      if (parts.contains("list")) {
        bench.load("runs/list", 10, i -> LIST_BODY, "/api/runs/list");
      }
      if (parts.contains("get") && bench.names.isEmpty()) {
        progress("runs/get: skipped, no run was applied");
      } else if (parts.contains("get")) {
        bench.load(
            "runs/get", 10,
            i -> "{\"run_name\":\"" + bench.names.get(ThreadLocalRandom.current().nextInt(bench.names.size())) + "\"}",
            "/api/project/main/runs/get");
      }
      if (parts.contains("latency")) {
        bench.latency(Integer.parseInt(options.getOrDefault("latency-runs", "10")));
      }
    } catch (Exception e) {
      e.printStackTrace();
      System.exit(1);
    }
    System.exit(0); // the HTTP client's threads would keep the JVM alive
  }

  // ---------------------------------------------------------------- runs/apply

  /** Measured rounds (sequential, then 8 clients), then more runs until {@code total}, all ended. */
  private void applies(boolean measure, int total) throws Exception {
    if (measure) {
      applyRounds(1, 50);
      applyRounds(8, 200);
    }
    int fill = total - names.size();
    if (fill > 0) {
      progress("filling the database: %d more runs (8 clients)", fill);
      Apply result = apply("fill", 8, fill);
      progress("  %.1f runs/s, %d non-200", result.runsPerSecond(), result.failed());
    }
    long started = System.nanoTime();
    int active;
    while ((active = array(post("/api/runs/list",
            "{\"project_name\":\"main\",\"only_active\":true,\"limit\":100}")).size()) > 0) {
      if (System.nanoTime() - started > Duration.ofMinutes(15).toNanos()) {
        throw new IllegalStateException(active + "+ runs still active after 15 minutes");
      }
      Thread.sleep(1000);
    }
    Map<String, Integer> outcomes = new TreeMap<>();
    for (JsonValue run : array(post("/api/runs/list", LIST_BODY))) {
      JsonObject r = run.asJsonObject();
      outcomes.merge(r.getString("status") + "/" + r.get("termination_reason"), 1, Integer::sum);
    }
    System.out.printf(
        "%d runs applied; all finished %.1f s after the last apply (latest 100: %s)%n",
        names.size(), (System.nanoTime() - started) / 1e9, outcomes);
  }

  private void applyRounds(int clients, int runs) throws Exception {
    apply("warm" + clients, clients, runs / 2);
    double[] rates = new double[rounds];
    int failed = 0;
    double cpu = 0;
    for (int r = 0; r < rounds; r++) {
      long ticks = serverTicks();
      Apply result = apply("c" + clients + "r" + r, clients, runs);
      rates[r] = result.runsPerSecond();
      failed += result.failed();
      cpu += (serverTicks() - ticks) * 1000.0 / TICKS_PER_SECOND / runs;
      progress("  %d client(s), round %d: %.1f runs/s, %d non-200", clients, r + 1, rates[r], result.failed());
    }
    System.out.printf(
        "runs/apply  %-11s %7.1f runs/s   %d of %d runs non-200   server CPU %.1f ms/run   (rounds: %s)%n",
        clients == 1 ? "sequential" : clients + " clients", median(rates), failed, runs * rounds,
        cpu / rounds, format(rates));
  }

  private record Apply(double runsPerSecond, int failed) {}

  /** {@code runs} distinct runs, each get_plan then apply as the CLI sends them, by {@code clients}. */
  private Apply apply(String prefix, int clients, int runs) throws Exception {
    AtomicInteger next = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    Map<String, Integer> errors = new ConcurrentHashMap<>();
    List<String> applied = java.util.Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    long started = System.nanoTime();
    List<Future<?>> workers = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      workers.add(pool.submit(() -> {
        for (int i; (i = next.getAndIncrement()) < runs; ) {
          String name = "b-" + prefix + "-" + i;
          String spec = taskSpec(name, null).toString();
          HttpResponse<String> plan = send("/api/project/main/runs/get_plan",
              "{\"run_spec\":" + spec + ",\"max_offers\":null}");
          HttpResponse<String> applyAnswer = plan.statusCode() != 200 ? plan
              : send("/api/project/main/runs/apply",
                  "{\"plan\":{\"run_spec\":" + spec + ",\"current_resource\":"
                      + object(plan.body()).get("current_resource") + "},\"force\":false}");
          if (applyAnswer.statusCode() == 200) {
            applied.add(name);
          } else {
            failed.incrementAndGet();
            errors.merge(applyAnswer.statusCode() + " " + applyAnswer.uri().getPath() + " "
                + abbreviate(applyAnswer.body()), 1, Integer::sum);
          }
        }
        return null;
      }));
    }
    for (Future<?> worker : workers) {
      worker.get();
    }
    double elapsed = (System.nanoTime() - started) / 1e9;
    pool.shutdown();
    errors.forEach((error, count) -> progress("  %d x %s", count, error));
    names.addAll(applied);
    return new Apply(runs / elapsed, failed.get());
  }

  // ---------------------------------------------------------------- list / get under load

  /** Rounds of {@code seconds} with {@code connections} requests in flight; medians printed. */
  private void load(String label, int connections, IntFunction<String> body, String path)
      throws Exception {
    progress("%s: warm-up", label);
    loadRound(connections, body, path, Math.max(3, seconds / 2));
    double[] rates = new double[rounds];
    double[] p50 = new double[rounds];
    double[] p99 = new double[rounds];
    double[] cpu = new double[rounds];
    long failed = 0;
    long requests = 0;
    for (int r = 0; r < rounds; r++) {
      long ticks = serverTicks();
      Round round = loadRound(connections, body, path, seconds);
      rates[r] = round.latencies().length / round.seconds();
      p50[r] = percentile(round.latencies(), 50);
      p99[r] = percentile(round.latencies(), 99);
      cpu[r] = (serverTicks() - ticks) * 1000.0 / TICKS_PER_SECOND / round.latencies().length;
      failed += round.failed();
      requests += round.latencies().length;
      progress("  round %d: %.1f req/s, p50 %.1f ms, p99 %.1f ms, %d non-200",
          r + 1, rates[r], p50[r], p99[r], round.failed());
    }
    System.out.printf(
        "%-11s %d conns    %7.1f req/s    p50 %6.1f ms   p99 %6.1f ms   %d of %d non-200   server CPU %.2f ms/req   (rounds: %s req/s)%n",
        label, connections, median(rates), median(p50), median(p99), failed, requests,
        median(cpu), format(rates));
  }

  private record Round(long[] latencies, double seconds, long failed) {}

  private Round loadRound(int connections, IntFunction<String> body, String path, int length)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(connections);
    long started = System.nanoTime();
    long deadline = started + Duration.ofSeconds(length).toNanos();
    List<Future<long[]>> workers = new ArrayList<>();
    AtomicInteger failed = new AtomicInteger();
    for (int c = 0; c < connections; c++) {
      workers.add(pool.submit(() -> {
        long[] latencies = new long[1024];
        int count = 0;
        while (System.nanoTime() < deadline) {
          long t0 = System.nanoTime();
          HttpResponse<Void> answer = http.send(request(path, body.apply(count)),
              HttpResponse.BodyHandlers.discarding());
          long t1 = System.nanoTime();
          if (answer.statusCode() != 200) {
            failed.incrementAndGet();
          }
          if (count == latencies.length) {
            latencies = Arrays.copyOf(latencies, count * 2);
          }
          latencies[count++] = t1 - t0;
        }
        return Arrays.copyOf(latencies, count);
      }));
    }
    long[] all = new long[0];
    for (Future<long[]> worker : workers) {
      long[] part = worker.get();
      int at = all.length;
      all = Arrays.copyOf(all, at + part.length);
      System.arraycopy(part, 0, all, at, part.length);
    }
    double elapsed = (System.nanoTime() - started) / 1e9;
    pool.shutdown();
    Arrays.sort(all);
    return new Round(all, elapsed, failed.get());
  }

  // ---------------------------------------------------------------- submit -> running

  /**
   * One SSH-fleet host; tasks submitted one after another, each once the host is idle again: time
   * from the apply answer to runs/get reporting {@code running}, polled every 50 ms.
   */
  private void latency(int count) throws Exception {
    progress("submit -> running: creating a host and its fleet");
    try (TestHosts hosts = TestHosts.create(1)) {
      TestHost host = hosts.host(0);
      JsonObject fleetSpec = Json.createObjectBuilder()
          .add("configuration", Json.createObjectBuilder()
              .add("type", "fleet")
              .add("name", "bench-host")
              .add("ssh_config", Json.createObjectBuilder().add("hosts", Json.createArrayBuilder()
                  .add(Json.createObjectBuilder()
                      .add("hostname", host.address())
                      .add("port", host.port())
                      .add("user", host.user())
                      .add("ssh_key", Json.createObjectBuilder()
                          .add("public", host.key().publicKey())
                          .add("private", host.key().privateKey()))))))
          .add("profile", Json.createObjectBuilder().add("name", "default"))
          .build();
      JsonObject plan = object(post("/api/project/main/fleets/get_plan", "{\"spec\":" + fleetSpec + "}"));
      post("/api/project/main/fleets/apply",
          "{\"plan\":{\"spec\":" + plan.get("spec") + ",\"current_resource\":null},\"force\":false}");
      long started = System.nanoTime();
      awaitIdle(Duration.ofMinutes(5));
      progress("  host idle after %.1f s", (System.nanoTime() - started) / 1e9);

      JsonObjectBuilder small = Json.createObjectBuilder()
          .add("cpu", Json.createObjectBuilder().add("min", 1).addNull("max"))
          .add("memory", Json.createObjectBuilder().add("min", 0.1).addNull("max"))
          .add("disk", Json.createObjectBuilder()
              .add("size", Json.createObjectBuilder().add("min", 0.1).addNull("max")));
      JsonObject resources = small.build();
      // the CLI attaches once the job's latest submission is running; the run's own status
      // follows at the run pipeline's next pass, and may skip `running` for a short job
      double[] toJob = new double[count];
      List<Double> toRun = new ArrayList<>();
      int pollErrors = 0;
      for (int i = -1; i < count; i++) { // run -1 warms up
        String name = "lat-" + (i + 1);
        String spec = taskSpec(name, Json.createObjectBuilder()
            .add("commands", Json.createArrayBuilder().add("sleep 1"))
            .add("resources", resources)).toString();
        JsonObject runPlan = object(post("/api/project/main/runs/get_plan",
            "{\"run_spec\":" + spec + ",\"max_offers\":null}"));
        post("/api/project/main/runs/apply", "{\"plan\":{\"run_spec\":" + spec
            + ",\"current_resource\":" + runPlan.get("current_resource") + "},\"force\":false}");
        long applied = System.nanoTime();
        long deadline = applied + Duration.ofMinutes(2).toNanos();
        double jobMs = -1;
        double runMs = -1;
        JsonObject run;
        while (true) {
          HttpResponse<String> answer =
              send("/api/project/main/runs/get", "{\"run_name\":\"" + name + "\"}");
          if (answer.statusCode() != 200) {
            pollErrors++;
            progress("  runs/get answered %d: %s", answer.statusCode(), abbreviate(answer.body()));
            Thread.sleep(50);
            continue;
          }
          run = object(answer.body());
          double ms = (System.nanoTime() - applied) / 1e6;
          JsonArray submissions =
              run.getJsonArray("jobs").getJsonObject(0).getJsonArray("job_submissions");
          String job = submissions.getJsonObject(submissions.size() - 1).getString("status");
          if (jobMs < 0 && job.equals("running")) {
            jobMs = ms;
          }
          if (runMs < 0 && run.getString("status").equals("running")) {
            runMs = ms;
          }
          if (List.of("done", "failed", "terminated").contains(run.getString("status"))) {
            break;
          }
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("run " + name + " not finished after 2 minutes: "
                + abbreviate(run.toString()));
          }
          Thread.sleep(50);
        }
        if (jobMs < 0) {
          throw new IllegalStateException("run " + name + " ended " + run.getString("status")
              + " and its job was never seen running: " + abbreviate(run.toString()));
        }
        progress("  %s: job running %.0f ms after the apply answer, run running %s, ended %s",
            name, jobMs, runMs < 0 ? "never seen" : String.format("%.0f ms", runMs),
            run.getString("status"));
        if (i >= 0) {
          toJob[i] = jobMs;
          if (runMs >= 0) {
            toRun.add(runMs);
          }
        }
        awaitIdle(Duration.ofMinutes(1));
      }
      Arrays.sort(toJob);
      System.out.printf(
          "submit->running  1 host   job running: p50 %.0f ms (min %.0f, max %.0f)   run running: p50 %s (seen in %d of %d)   polled every 50 ms, %d non-200%n",
          median(toJob), toJob[0], toJob[count - 1],
          toRun.isEmpty() ? "-" : String.format("%.0f ms",
              median(toRun.stream().mapToDouble(Double::doubleValue).toArray())),
          toRun.size(), count, pollErrors);
    }
  }

  private void awaitIdle(Duration limit) throws Exception {
    long deadline = System.nanoTime() + limit.toNanos();
    while (true) {
      JsonArray instances = object(post("/api/project/main/fleets/get", "{\"name\":\"bench-host\"}"))
          .getJsonArray("instances");
      String status = instances.isEmpty() ? "none" : instances.getJsonObject(0).getString("status");
      if (status.equals("idle")) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the fleet's host is " + status + ": "
            + abbreviate(instances.toString()));
      }
      Thread.sleep(200);
    }
  }

  // ---------------------------------------------------------------- helpers

  /** The recorded task spec with the given name, and configuration fields replaced. */
  private static JsonObject taskSpec(String name, JsonObjectBuilder changes) {
    JsonObject recorded = object(TASK_SPEC);
    JsonObjectBuilder configuration =
        Json.createObjectBuilder(recorded.getJsonObject("configuration")).add("name", name);
    if (changes != null) {
      changes.build().forEach(configuration::add);
    }
    return Json.createObjectBuilder(recorded)
        .add("run_name", name)
        .add("configuration", configuration)
        .build();
  }

  private HttpRequest request(String path, String body) {
    return HttpRequest.newBuilder(URI.create(url + path))
        .header("Authorization", "Bearer " + token)
        .header("X-API-VERSION", "0.20.29")
        .header("Content-Type", "application/json")
        .timeout(Duration.ofSeconds(60))
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
  }

  private HttpResponse<String> send(String path, String body)
      throws IOException, InterruptedException {
    return http.send(request(path, body), HttpResponse.BodyHandlers.ofString());
  }

  /** The body of a 200 answer; anything else stops the benchmark. */
  private String post(String path, String body) throws IOException, InterruptedException {
    HttpResponse<String> answer = send(path, body);
    if (answer.statusCode() != 200) {
      throw new IllegalStateException(path + " answered " + answer.statusCode() + ": "
          + abbreviate(answer.body()));
    }
    return answer.body();
  }

  private static JsonObject object(String json) {
    return Json.createReader(new StringReader(json)).readObject();
  }

  private static JsonArray array(String json) {
    return Json.createReader(new StringReader(json)).readArray();
  }

  /** CPU ticks the server's JVM has used so far (0 without --server-pid). */
  private long serverTicks() throws IOException {
    if (serverPid == 0) {
      return 0;
    }
    String stat = Files.readString(Path.of("/proc/" + serverPid + "/stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
  }

  private static double percentile(long[] sorted, int p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, index)] / 1e6;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  private static String format(double[] values) {
    StringBuilder text = new StringBuilder();
    for (double value : values) {
      text.append(text.length() == 0 ? "" : " ").append(String.format("%.1f", value));
    }
    return text.toString();
  }

  private static String abbreviate(String text) {
    String line = text.replaceAll("\\s+", " ");
    return line.length() <= 300 ? line : line.substring(0, 300) + "…";
  }

  private static void progress(String format, Object... args) {
    System.err.printf(format + "%n", args);
  }
}
