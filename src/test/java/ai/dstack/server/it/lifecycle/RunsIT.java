package ai.dstack.server.it.lifecycle;

import static ai.dstack.server.it.Expect.body;
import static ai.dstack.server.it.Expect.clientError;
import static ai.dstack.server.it.Expect.error;
import static ai.dstack.server.it.Expect.ok;
import static ai.dstack.server.it.Expect.okArray;
import static ai.dstack.server.it.Expect.okNull;
import static ai.dstack.server.it.lifecycle.LoopbackFleet.commands;
import static ai.dstack.server.it.lifecycle.LoopbackFleet.finished;
import static ai.dstack.server.it.lifecycle.LoopbackFleet.taskSpec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.hosts.testing.TestHost;
import ai.dstack.server.it.Api;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tasks end to end on real hosts (network namespaces with their own sshd, TestHosts): the CLI's
 * request bodies submit runs to the WAR in Payara Micro, which deploys the agent, starts the jobs
 * through it, pulls their logs and stops them.
 */
class RunsIT {
  private static LoopbackFleet fleet;
  private static Api api;

  @BeforeAll
  static void start() throws Exception {
    fleet =
        LoopbackFleet.builder("runs")
            .hosts(2)
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

  private static Predicate<JsonObject> status(String status) {
    return r -> r.getString("status").equals(status);
  }

  private static JsonObject latest(JsonObject run) {
    return run.getJsonObject("latest_job_submission");
  }

  /** Every log line of the run's first job, as {@code dstack logs} reads them. */
  private static String logs(JsonObject run) {
    StringBuilder text = new StringBuilder();
    String token = null;
    do {
      JsonObject page =
          ok(
              api.post(
                  "/api/project/main/logs/poll",
                  Json.createObjectBuilder()
                      .add("run_name", run.getJsonObject("run_spec").getString("run_name"))
                      .add("job_submission_id", latest(run).getString("id"))
                      .add("limit", 1000)
                      .add("next_token", token == null ? JsonValue.NULL : Json.createValue(token))
                      .build()
                      .toString()));
      for (JsonValue event : page.getJsonArray("logs")) {
        text.append(
            new String(
                Base64.getDecoder().decode(event.asJsonObject().getString("message")),
                StandardCharsets.UTF_8));
      }
      token = page.isNull("next_token") ? null : page.getString("next_token");
    } while (token != null);
    return text.toString();
  }

  @Test
  void theRecordedEchoHelloTaskRunsOnAHostAndIsDoneWithItsOutputInTheLogs() throws Exception {
    JsonObject submitted = fleet.applyRun(taskSpec("hello-task", Map.of()));
    assertEquals("submitted", submitted.getString("status"));
    JsonObject done = fleet.awaitRun("hello-task", finished(), "the run to finish");
    assertEquals("done", done.getString("status"), done.toString());
    assertEquals("all_jobs_done", done.getString("termination_reason"));
    JsonObject job = latest(done);
    assertEquals("done", job.getString("status"));
    assertEquals("exited (0)", job.getString("status_message"));
    assertEquals(0, job.getInt("exit_status"));
    JsonObject jpd = job.getJsonObject("job_provisioning_data");
    assertEquals("remote", jpd.getString("backend"));
    assertTrue(jpd.getBoolean("dockerized"));
    assertEquals("hosts", done.getJsonObject("fleet").getString("name"));
    assertTrue(logs(done).contains("hello"), logs(done));

    JsonArray listed =
        okArray(
            api.post(
                "/api/runs/list",
                "{\"project_name\":\"main\",\"only_active\":false,\"include_jobs\":true,"
                    + "\"job_submissions_limit\":1,\"limit\":100}"));
    assertTrue(
        listed.stream()
            .anyMatch(r -> r.asJsonObject().getString("id").equals(done.getString("id"))));
    okNull(api.post("/api/project/main/runs/delete", body("runs_names", List.of("hello-task"))));
    clientError(
        api.post("/api/project/main/runs/get", body("run_name", "hello-task")),
        "resource_not_exists",
        "Run not found");
  }

  @Test
  void aFailingCommandFailsTheRunWithItsExitStatus() throws Exception {
    fleet.applyRun(
        taskSpec("exit-one", Map.of("commands", commands("echo about to fail", "exit 3"))));
    JsonObject failed = fleet.awaitRun("exit-one", finished(), "the run to finish");
    assertEquals("failed", failed.getString("status"));
    assertEquals("job_failed", failed.getString("termination_reason"));
    JsonObject job = latest(failed);
    assertEquals("failed", job.getString("status"));
    assertEquals(3, job.getInt("exit_status"));
    assertEquals("exited (3)", job.getString("status_message"));
    assertEquals("container_exited_with_error", job.getString("termination_reason"));
  }

  @Test
  void aStoppedRunIsTerminatedAndItsProcessIsGoneFromTheHost() throws Exception {
    fleet.applyRun(taskSpec("sleeper", Map.of("commands", commands("sleep 600"))));
    JsonObject running = fleet.awaitRun("sleeper", status("running"), "the run to run");
    TestHost host = hostOf(running);
    fleet.await(
        () -> Json.createObjectBuilder().add("n", countSleeps(host)).build(),
        o -> o.getInt("n") > 0,
        "sleep on the host");

    attachAsTheCliDoes(running, host);
    JsonObject metrics =
        fleet.await(
            () ->
                ok(
                    api.send(
                        "GET",
                        "/api/project/main/metrics/job/sleeper?replica_num=0&job_num=0&limit=10",
                        api.adminToken(),
                        null,
                        Map.of())),
            m -> series(m, "memory_usage_bytes").size() > 0,
            "a metrics point of the running job");
    assertTrue(
        ((jakarta.json.JsonNumber) series(metrics, "memory_usage_bytes").get(0)).longValue() > 0);

    okNull(
        api.post(
            "/api/project/main/runs/stop",
            body("runs_names", List.of("sleeper", "no-such-run"), "abort", false)));
    error(
        api.post("/api/project/main/runs/delete", body("runs_names", List.of("sleeper"))),
        "Cannot delete active runs: ['sleeper']");
    JsonObject stopped = fleet.awaitRun("sleeper", finished(), "the run to stop");
    assertEquals("terminated", stopped.getString("status"));
    assertEquals("stopped_by_user", stopped.getString("termination_reason"));
    assertEquals("terminated", latest(stopped).getString("status"));
    assertEquals("stopped", latest(stopped).getString("status_message"));
    assertEquals(0, countSleeps(host), "the job's process is gone from the host");
  }

  @Test
  void anActiveRunChangesInPlaceOnlyThroughAPlanMadeAgainstIt() throws Exception {
    JsonObject spec = taskSpec("busy-run", Map.of("commands", commands("sleep 600")));
    JsonObject current = fleet.applyRun(spec);
    JsonObject changed = taskSpec("busy-run", Map.of("commands", commands("sleep 700")));
    String stale =
        "{\"plan\":{\"run_spec\":" + changed + ",\"current_resource\":null},\"force\":false}";
    error(
        api.post("/api/project/main/runs/apply", stale),
        "Failed to apply plan. Resource has been changed. Try again or use force apply.");
    error(
        api.post(
            "/api/project/main/runs/apply", stale.replace("\"force\":false", "\"force\":true")),
        "Cannot override active run. Stop the run first.");
    JsonObject plan =
        ok(
            api.post(
                "/api/project/main/runs/get_plan",
                "{\"run_spec\":"
                    + taskSpec(
                        "busy-run",
                        Map.of("commands", commands("sleep 600"), "priority", Json.createValue(70)))
                    + "}"));
    assertEquals("update", plan.getString("action"));
    assertEquals(current.getString("id"), plan.getJsonObject("current_resource").getString("id"));
    JsonObject updated =
        ok(
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
    assertEquals(
        current.getString("id"), updated.getString("id"), "the same run, changed in place");
    assertEquals(
        70, updated.getJsonObject("run_spec").getJsonObject("configuration").getInt("priority"));
    fleet.abortAndWait("busy-run");
  }

  @Test
  void anAbortedRunEndsAtOnce() throws Exception {
    fleet.applyRun(taskSpec("aborted", Map.of("commands", commands("sleep 600"))));
    JsonObject running = fleet.awaitRun("aborted", status("running"), "the run to run");
    JsonObject ended = fleet.abortAndWait("aborted");
    assertEquals("terminated", ended.getString("status"));
    assertEquals("aborted_by_user", ended.getString("termination_reason"));
    assertEquals("aborted", latest(ended).getString("status"));
    assertNotNull(running);
  }

  @Test
  void secretsAreInterpolatedIntoTheJobsEnv() throws Exception {
    ok(
        api.post(
            "/api/project/main/secrets/create_or_update",
            body("name", "API_KEY", "value", "s3cr3t-value")));
    fleet.applyRun(
        taskSpec(
            "with-secret",
            Map.of(
                "env",
                Json.createObjectBuilder().add("KEY", "${{ secrets.API_KEY }}").build(),
                "commands",
                commands("echo key=$KEY"))));
    JsonObject done = fleet.awaitRun("with-secret", finished(), "the run to finish");
    assertEquals("done", done.getString("status"), done.toString());
    assertTrue(logs(done).contains("key=s3cr3t-value"), logs(done));
  }

  @Test
  void codeAndFileArchivesReachTheWorkingDirectory() throws Exception {
    byte[] code = tar(Map.of("code.txt", "code from the repo\n"));
    String codeHash = sha256(code);
    okNull(
        api.upload(
            "/api/project/main/repos/upload_code?repo_id=none", api.adminToken(), codeHash, code));
    // the CLI archives a file under its own name; the runner puts that entry at the mapping's path
    byte[] archive = tar(Map.of("notes.txt", "from files:\n"));
    JsonObject uploaded =
        ok(api.upload("/api/files/upload_archive", api.adminToken(), sha256(archive), archive));
    JsonObject base =
        taskSpec("with-files", Map.of("commands", commands("cat code.txt data/notes.txt")));
    JsonObject spec =
        Json.createObjectBuilder(base)
            .add("repo_code_hash", codeHash)
            .add(
                "file_archives",
                Json.createArrayBuilder()
                    .add(
                        Json.createObjectBuilder()
                            .add("id", uploaded.getString("id"))
                            .add("path", "data/notes.txt")))
            .build();
    fleet.applyRun(spec);
    JsonObject done = fleet.awaitRun("with-files", finished(), "the run to finish");
    assertEquals("done", done.getString("status"), logs(done));
    String output = logs(done);
    assertTrue(output.contains("code from the repo"), output);
    assertTrue(output.contains("from files:"), output);
  }

  @Test
  void resourcesNoHostHasGiveAPlanWithoutOffersAndARunThatFailsForNoCapacity() throws Exception {
    JsonObject spec =
        taskSpec(
            "too-big",
            Map.of(
                "resources",
                Json.createObjectBuilder()
                    .add("cpu", Json.createObjectBuilder().add("min", 4096).addNull("max"))
                    .build()));
    JsonObject plan =
        ok(api.post("/api/project/main/runs/get_plan", "{\"run_spec\":" + spec + "}"));
    assertEquals(0, plan.getJsonArray("job_plans").getJsonObject(0).getJsonArray("offers").size());
    JsonObject small =
        ok(
            api.post(
                "/api/project/main/runs/get_plan",
                "{\"run_spec\":" + taskSpec("fits", Map.of()) + "}"));
    assertTrue(
        small.getJsonArray("job_plans").getJsonObject(0).getJsonArray("offers").size() > 0,
        "the hosts offer themselves to a job they can run");
    fleet.applyRun(spec);
    JsonObject failed = fleet.awaitRun("too-big", finished(), "the run to fail");
    assertEquals("failed", failed.getString("status"));
    assertEquals(
        "failed_to_start_due_to_no_capacity", latest(failed).getString("termination_reason"));
    assertEquals("no offers", latest(failed).getString("status_message"));
  }

  @Test
  void badInputIsRefusedAsUpstreamRefusesIt() {
    JsonObject spec = taskSpec("bad-input", Map.of());
    var malformed =
        api.post(
            "/api/project/main/runs/get_plan",
            "{\"run_spec\":"
                + Json.createObjectBuilder(spec)
                    .add(
                        "configuration",
                        Json.createObjectBuilder(spec.getJsonObject("configuration"))
                            .add("nodes", "many"))
                    .build()
                + "}");
    assertEquals(422, malformed.status(), malformed.text());
    assertEquals(
        List.of("body", "run_spec", "configuration", "nodes"),
        malformed.object().getJsonArray("detail").getJsonObject(0).getJsonArray("loc").stream()
            .map(v -> v.toString().replace("\"", ""))
            .toList());
    error(
        api.post(
            "/api/project/main/runs/get_plan",
            "{\"run_spec\":"
                + Json.createObjectBuilder(spec).add("run_name", "Bad_Name").build()
                + "}"),
        "Resource name should match regex '^[a-z][a-z0-9-]{1,40}$'");
    JsonObject unknownRepo = Json.createObjectBuilder(spec).add("repo_id", "no-such-repo").build();
    clientError(
        api.post(
            "/api/project/main/runs/apply",
            "{\"plan\":{\"run_spec\":"
                + unknownRepo
                + ",\"current_resource\":null},\"force\":false}"),
        "repo_does_not_exist",
        "Repo no-such-repo does not exist");
    error(api.post("/api/project/main/runs/get", "{}"), "run_name or id must be specified");
    okNull(api.post("/api/project/main/runs/delete", body("runs_names", List.of("never-was"))));
  }

  @Test
  void aTwoNodeTaskRunsOneJobPerHostWithTheClusterEnvironment() throws Exception {
    fleet.applyRun(
        taskSpec(
            "two-nodes",
            Map.of(
                "nodes",
                Json.createValue(2),
                "commands",
                commands(
                    "echo rank=$DSTACK_NODE_RANK nodes=$DSTACK_NODES_NUM"
                        + " master=$DSTACK_MASTER_NODE_IP ips=$(echo $DSTACK_NODES_IPS)"))));
    JsonObject done = fleet.awaitRun("two-nodes", finished(), "the two-node run to finish");
    assertEquals("done", done.getString("status"), done.toString());
    JsonArray jobs = done.getJsonArray("jobs");
    assertEquals(2, jobs.size());
    List<String> hostsUsed = new java.util.ArrayList<>();
    String masterIp = null;
    for (int rank = 0; rank < 2; rank++) {
      JsonObject submission = lastSubmission(jobs.getJsonObject(rank));
      JsonObject jpd = submission.getJsonObject("job_provisioning_data");
      hostsUsed.add(jpd.getString("hostname"));
      if (rank == 0) {
        masterIp =
            jpd.isNull("internal_ip") ? jpd.getString("hostname") : jpd.getString("internal_ip");
      }
      String output = jobLogs("two-nodes", submission.getString("id"));
      assertTrue(output.contains("rank=" + rank + " nodes=2 master=" + masterIp), output);
    }
    assertEquals(2, hostsUsed.stream().distinct().count(), "one job per host: " + hostsUsed);
  }

  @Test
  void aTaskFailingTwiceIsRetriedUntilItSucceeds() throws Exception {
    // a counter both hosts' users can write: a retry may land on either host
    Path counter = Files.createTempDirectory("retry-count");
    Files.setPosixFilePermissions(counter, PosixFilePermissions.fromString("rwxrwxrwx"));
    String file = counter.resolve("n").toString();
    String attempt =
        "umask 0; n=$(( $(cat "
            + file
            + " 2>/dev/null || echo 0) + 1 )); echo $n > "
            + file
            + "; echo attempt $n; test $n -ge 3";
    fleet.applyRun(
        taskSpec(
            "flaky",
            Map.of(
                "commands",
                commands(attempt),
                "retry",
                Json.createObjectBuilder()
                    .add("on_events", Json.createArrayBuilder().add("error"))
                    .add("duration", 600)
                    .build())));
    JsonObject done =
        fleet.await(
            () -> fleet.getRun("flaky"), finished(), Duration.ofSeconds(180), "the retried run");
    JsonArray submissions =
        done.getJsonArray("jobs").getJsonObject(0).getJsonArray("job_submissions");
    List<String> statuses =
        submissions.stream().map(v -> v.asJsonObject().getString("status")).toList();
    assertEquals("done", done.getString("status"), statuses.toString());
    assertEquals(List.of("failed", "failed", "done"), statuses);
    assertEquals(
        List.of(0, 1, 2),
        submissions.stream().map(v -> v.asJsonObject().getInt("submission_num")).toList());
  }

  @Test
  void aTaskThatNeverGetsCapacityGivesUpAfterItsRetryDuration() throws Exception {
    fleet.applyRun(
        taskSpec(
            "never-fits",
            Map.of(
                "resources",
                Json.createObjectBuilder()
                    .add("cpu", Json.createObjectBuilder().add("min", 4096).addNull("max"))
                    .build(),
                "retry",
                Json.createObjectBuilder()
                    .add("on_events", Json.createArrayBuilder().add("no-capacity"))
                    .add("duration", 6)
                    .build())));
    Thread.sleep(3000);
    assertEquals(
        "submitted", fleet.getRun("never-fits").getString("status"), "queued while it may wait");
    JsonObject failed = fleet.awaitRun("never-fits", finished(), "the run to give up");
    assertEquals("failed", failed.getString("status"));
    assertEquals("retry_limit_exceeded", failed.getString("termination_reason"));
    assertEquals("retry limit exceeded", failed.getString("error"));
  }

  @Test
  void queuedRunsTakeAFreedHostInPriorityOrder() throws Exception {
    fleet.applyRun(taskSpec("blocker-a", Map.of("commands", commands("sleep 600"))));
    fleet.applyRun(taskSpec("blocker-b", Map.of("commands", commands("sleep 600"))));
    fleet.awaitRun("blocker-a", status("running"), "blocker a");
    fleet.awaitRun("blocker-b", status("running"), "blocker b");
    JsonObject retry =
        Json.createObjectBuilder()
            .add("on_events", Json.createArrayBuilder().add("no-capacity"))
            .add("duration", 300)
            .build();
    for (String[] queued :
        new String[][] {{"prio-low", "10"}, {"prio-mid", "50"}, {"prio-high", "90"}}) {
      fleet.applyRun(
          taskSpec(
              queued[0],
              Map.of(
                  "commands", commands("sleep 2"),
                  "priority", Json.createValue(Integer.parseInt(queued[1])),
                  "retry", retry)));
    }
    Thread.sleep(2000);
    okNull(
        api.post(
            "/api/project/main/runs/stop",
            body("runs_names", List.of("blocker-a"), "abort", true)));
    List<String> order = new java.util.ArrayList<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (order.size() < 3 && System.nanoTime() < deadline) {
      for (String name : List.of("prio-low", "prio-mid", "prio-high")) {
        if (!order.contains(name)
            && List.of("running", "done").contains(fleet.getRun(name).getString("status"))) {
          order.add(name);
        }
      }
      Thread.sleep(200);
    }
    okNull(
        api.post(
            "/api/project/main/runs/stop",
            body("runs_names", List.of("blocker-b"), "abort", true)));
    assertEquals(List.of("prio-high", "prio-mid", "prio-low"), order);
    for (String name : List.of("prio-low", "prio-mid", "prio-high", "blocker-b")) {
      fleet.awaitRun(name, finished(), name + " to end");
    }
  }

  @Test
  void aDevEnvironmentStopsItselfAfterItsInactivityDuration() throws Exception {
    JsonObject recorded = taskSpec("idle-dev", Map.of());
    JsonObject configuration =
        Json.createObjectBuilder()
            .add("type", "dev-environment")
            .add("name", "idle-dev")
            .add("ide", "vscode")
            .add("init", commands("echo init-ran"))
            .add("inactivity_duration", 8)
            .add("resources", recorded.getJsonObject("configuration").getJsonObject("resources"))
            .build();
    fleet.applyRun(Json.createObjectBuilder(recorded).add("configuration", configuration).build());
    JsonObject running =
        fleet.awaitRun("idle-dev", status("running"), "the dev environment to run");
    JsonObject connection =
        running.getJsonArray("jobs").getJsonObject(0).getJsonObject("job_connection_info");
    String workingDir = latest(running).getJsonObject("job_runtime_data").getString("working_dir");
    assertEquals("VS Code", connection.getString("ide_name"));
    assertEquals(
        "vscode://vscode-remote/ssh-remote+idle-dev" + workingDir,
        connection.getString("attached_ide_url"));
    JsonObject ended = fleet.awaitRun("idle-dev", finished(), "the dev environment to stop itself");
    assertEquals(
        "inactivity_duration_exceeded",
        latest(ended).getString("termination_reason"),
        ended.toString());
    assertTrue(logs(ended).contains("init-ran"));
  }

  @Test
  void aScheduledRunWaitsForItsCronAndRunsOnEveryTrigger() throws Exception {
    JsonObject submitted =
        fleet.applyRun(
            taskSpec(
                "every-minute",
                Map.of(
                    "commands",
                    commands("echo tick"),
                    "schedule",
                    Json.createObjectBuilder().add("cron", "* * * * *").build())));
    assertEquals("pending", submitted.getString("status"));
    assertEquals(0, submitted.getJsonArray("jobs").size());
    OffsetDateTime first = OffsetDateTime.parse(submitted.getString("next_triggered_at"));
    assertEquals(0, first.getSecond());
    assertTrue(first.toInstant().isAfter(Instant.now().minusSeconds(1)), first.toString());

    JsonObject ranOnce =
        fleet.await(
            () -> fleet.getRun("every-minute"),
            r ->
                r.getString("status").equals("pending")
                    && r.getJsonArray("jobs").size() == 1
                    && latest(r).getString("status").equals("done"),
            Duration.ofSeconds(150),
            "the first trigger's job done and the run waiting again");
    assertEquals("done_by_runner", latest(ranOnce).getString("termination_reason"));
    OffsetDateTime next = OffsetDateTime.parse(ranOnce.getString("next_triggered_at"));
    assertTrue(next.isAfter(first), first + " then " + next);
    assertTrue(logs(ranOnce).contains("tick"), logs(ranOnce));

    okNull(api.post("/api/project/main/runs/stop", body("runs_names", List.of("every-minute"))));
    JsonObject stopped = fleet.awaitRun("every-minute", finished(), "the stopped schedule");
    assertEquals("terminated", stopped.getString("status"));
    assertTrue(stopped.isNull("next_triggered_at"));
  }

  private static JsonObject lastSubmission(JsonObject job) {
    JsonArray submissions = job.getJsonArray("job_submissions");
    return submissions.getJsonObject(submissions.size() - 1);
  }

  private static String jobLogs(String runName, String submissionId) {
    JsonObject page =
        ok(
            api.post(
                "/api/project/main/logs/poll",
                body("run_name", runName, "job_submission_id", submissionId, "limit", 1000)));
    StringBuilder text = new StringBuilder();
    for (JsonValue event : page.getJsonArray("logs")) {
      text.append(
          new String(
              Base64.getDecoder().decode(event.asJsonObject().getString("message")),
              StandardCharsets.UTF_8));
    }
    return text.toString();
  }

  /** The CLI's attach: SSH to the host with the user's key, then to the job's own SSH port. */
  private static void attachAsTheCliDoes(JsonObject run, TestHost host) throws Exception {
    JsonObject me = ok(api.post("/api/users/get_my_user", ""));
    assertEquals(
        me.getString("ssh_public_key"), run.getJsonObject("run_spec").getString("ssh_key_pub"));
    JsonObject job = latest(run);
    JsonObject jpd = job.getJsonObject("job_provisioning_data");
    JsonObject jrd = job.getJsonObject("job_runtime_data");
    int jobPort = jrd.getJsonObject("ports").getInt("10022");
    Path dir = Files.createTempDirectory(Path.of(System.getProperty("it.workDir")), "attach");
    Path key = dir.resolve("id_rsa");
    Files.writeString(key, me.getString("ssh_private_key"));
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    Path config = dir.resolve("config");
    Files.writeString(
        config,
        "Host run-host\n  HostName "
            + jpd.getString("hostname")
            + "\n  Port "
            + jpd.getInt("ssh_port")
            + "\n  User "
            + jpd.getString("username")
            + "\n  IdentityFile "
            + key
            + "\n  IdentitiesOnly yes\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n"
            + "Host run\n  HostName localhost\n  Port "
            + jobPort
            + "\n  User "
            + jrd.getString("username")
            + "\n  IdentityFile "
            + key
            + "\n  IdentitiesOnly yes\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n"
            + "  ProxyJump run-host\n");
    Process ssh =
        new ProcessBuilder(
                "ssh",
                "-F",
                config.toString(),
                "-o",
                "BatchMode=yes",
                "run",
                "echo attached-to-$PWD")
            .redirectErrorStream(true)
            .start();
    assertTrue(ssh.waitFor(60, TimeUnit.SECONDS));
    String output = new String(ssh.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, ssh.exitValue(), output);
    assertTrue(output.contains("attached-to-" + jrd.getString("working_dir")), output);
    assertNotNull(host);
  }

  private static JsonArray series(JsonObject metrics, String name) {
    return metrics.getJsonArray("metrics").stream()
        .map(JsonValue::asJsonObject)
        .filter(m -> m.getString("name").equals(name))
        .map(m -> m.getJsonArray("values"))
        .findFirst()
        .orElse(JsonValue.EMPTY_JSON_ARRAY);
  }

  private static TestHost hostOf(JsonObject run) {
    String hostname = latest(run).getJsonObject("job_provisioning_data").getString("hostname");
    for (TestHost host : fleet.hosts()) {
      if (host.address().equals(hostname)) {
        return host;
      }
    }
    throw new AssertionError("no test host " + hostname);
  }

  private static int countSleeps(TestHost host) {
    try {
      String out = host.exec("pgrep -u \"$(id -u)\" -f '^sleep 600$' | wc -l").stdout().strip();
      return Integer.parseInt(out);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static String sha256(byte[] data) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }

  /** A ustar archive of small text files, as the CLI packs code and files. */
  static byte[] tar(Map<String, String> files) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Map.Entry<String, String> file : files.entrySet()) {
      byte[] content = file.getValue().getBytes(StandardCharsets.UTF_8);
      byte[] header = new byte[512];
      put(header, 0, file.getKey());
      put(header, 100, "0000644");
      put(header, 108, "0000000");
      put(header, 116, "0000000");
      put(header, 124, String.format("%011o", content.length));
      put(header, 136, String.format("%011o", 0));
      header[156] = '0';
      put(header, 257, "ustar");
      put(header, 263, "00");
      for (int i = 148; i < 156; i++) {
        header[i] = ' ';
      }
      int sum = 0;
      for (byte b : header) {
        sum += b & 0xff;
      }
      put(header, 148, String.format("%06o", sum));
      header[154] = 0;
      out.write(header);
      out.write(content);
      out.write(new byte[(512 - content.length % 512) % 512]);
    }
    out.write(new byte[1024]);
    return out.toByteArray();
  }

  private static void put(byte[] header, int offset, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(bytes, 0, header, offset, bytes.length);
  }
}
