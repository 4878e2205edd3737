package ai.dstack.agent;

import static ai.dstack.agent.AgentClient.get;
import static ai.dstack.agent.AgentClient.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.dstack.agent.AgentClient.Pulled;
import ai.dstack.agent.docker.Docker;
import ai.dstack.agent.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's shim and runner APIs driven as the server drives them, with real job processes. */
class AgentJobsTest {
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(60);
  @TempDir Path tmp;
  private Agent agent;

  @BeforeEach
  void startAgent() throws IOException {
    agent = Agent.start(settings(tmp.resolve("agent"), 0));
  }

  /** Jobs still running are stopped, so that nothing writes into the test's directory later. */
  @AfterEach
  @SuppressWarnings("unchecked")
  void stopAgent() throws Exception {
    try {
      for (Object task : (List<Object>) get(agent.port(), "/api/tasks").json().get("tasks")) {
        String id = (String) ((Map<String, Object>) task).get("id");
        post(agent.port(), "/api/tasks/" + id + "/terminate", Map.of("timeout", 1));
      }
    } catch (IOException agentAlreadyStopped) {
      // the shutdown test stops the agent itself
    }
    agent.close();
  }

  private AgentSettings settings(Path home, int port) throws IOException {
    Path userHome = tmp.resolve("user-home");
    Files.createDirectories(userHome);
    return new AgentSettings(
        home,
        "127.0.0.1",
        port,
        "0.20.29",
        System.getProperty("user.name"),
        userHome,
        Duration.ofSeconds(2),
        2000);
  }

  /** Submits a task and returns its runner port. */
  private int newTask(String id) throws Exception {
    AgentClient.Response submitted =
        post(agent.port(), "/api/tasks", AgentClient.task(id, List.of()));
    assertEquals(200, submitted.status(), submitted.body());
    assertEquals("running", submitted.json().get("status"));
    return AgentClient.port(submitted.json(), 10999);
  }

  private int submitAndRun(String id, List<String> commands, Map<String, Object> jobSpec)
      throws Exception {
    return submitAndRun(id, commands, jobSpec, Map.of());
  }

  private int submitAndRun(
      String id, List<String> commands, Map<String, Object> jobSpec, Map<String, Object> body)
      throws Exception {
    int runner = newTask(id);
    Map<String, Object> submission = AgentClient.submission(commands, jobSpec);
    submission.putAll(body);
    assertEquals(200, post(runner, "/api/submit", submission).status());
    AgentClient.Response run = post(runner, "/api/run", "");
    assertEquals(200, run.status(), run.body());
    return runner;
  }

  @Test
  void healthchecksAnswerAsUpstreamsAgents() throws Exception {
    Map<String, Object> shim = get(agent.port(), "/api/healthcheck").json();
    assertEquals("dstack-shim", shim.get("service"));
    assertEquals("0.20.29", shim.get("version"));
    int runner = newTask(UUID.randomUUID().toString());
    assertEquals("dstack-runner", get(runner, "/api/healthcheck").json().get("service"));
    Map<String, Object> hostInfo =
        Json.parseObject(Files.readString(tmp.resolve("agent").resolve("host_info.json")));
    assertTrue((Long) hostInfo.get("cpus") >= 1);
    assertTrue((Long) hostInfo.get("memory") > 0);
    assertTrue((Long) hostInfo.get("disk_size") > 0);
    assertEquals("none", hostInfo.get("gpu_vendor"));
  }

  @Test
  void echoRunsInTheWorkingDirectoryWithTheJobsEnvironmentAndSucceeds() throws Exception {
    String id = UUID.randomUUID().toString();
    int runner = newTask(id);
    Map<String, Object> submission =
        AgentClient.submission(
            List.of("echo hello $GREETING $TOKEN", "pwd", "echo rank=$DSTACK_NODE_RANK"),
            Map.of("env", Map.of("GREETING", "world")));
    submission.put("secrets", Map.of("TOKEN", "s3cret"));
    assertEquals(200, post(runner, "/api/submit", submission).status());
    Map<String, Object> info = post(runner, "/api/run", "").json();
    String workingDir = (String) info.get("working_dir");
    assertEquals(System.getProperty("user.name"), info.get("username"));
    Pulled pulled = AgentClient.pullUntilFinished(runner, JOB_TIMEOUT);
    assertEquals("done", pulled.finalState().get("state"));
    assertEquals(0L, pulled.finalState().get("exit_status"));
    assertTrue(pulled.log().contains("hello world s3cret\n"), pulled.log());
    assertTrue(pulled.log().contains(workingDir + "\n"), pulled.log());
    assertTrue(pulled.log().contains("rank=0\n"), pulled.log());
    assertFalse(
        pulled.log().contains("upstream-preamble"), "the agent runs the commands as written");
    assertFalse(pulled.log().contains("\r"), "terminal line ends become plain newlines");
    assertTrue(pulled.runnerLogText().contains("Run job"));
    List<Long> sorted = new ArrayList<>(pulled.timestamps);
    sorted.sort(null);
    assertEquals(sorted, pulled.timestamps);
  }

  @Test
  void aFailingCommandEndsTheJobFailedWithItsExitStatus() throws Exception {
    int runner =
        submitAndRun(
            UUID.randomUUID().toString(), List.of("echo before", "exit 3", "echo after"), Map.of());
    Pulled pulled = AgentClient.pullUntilFinished(runner, JOB_TIMEOUT);
    assertEquals("failed", pulled.finalState().get("state"));
    assertEquals(3L, pulled.finalState().get("exit_status"));
    assertEquals("", pulled.finalState().get("termination_reason"));
    assertTrue(pulled.log().contains("before"));
    assertFalse(pulled.log().contains("after"));
  }

  @Test
  void uploadedCodeAndFileArchivesAreInPlaceBeforeTheJobStarts() throws Exception {
    String id = UUID.randomUUID().toString();
    int runner = newTask(id);
    String archiveId = UUID.randomUUID().toString();
    Map<String, Object> submission =
        AgentClient.submission(
            List.of("cat src/main.py", "cat data/config/settings.txt", "cat ~/dotfile"),
            Map.of(
                "repo_dir",
                ".",
                "file_archives",
                List.of(
                    Map.of("id", archiveId, "path", "data/config"),
                    Map.of("id", archiveId + "x", "path", "~/dotfile"))));
    assertEquals(200, post(runner, "/api/submit", submission).status());
    byte[] code = Tars.of(Map.of("src/main.py", "print('code arrived')\n"));
    assertEquals(
        200,
        AgentClient.postBytes(runner, "/api/upload_code", code, "application/octet-stream")
            .status());
    assertEquals(
        200,
        AgentClient.uploadArchive(
                runner, archiveId, Tars.of(Map.of("conf/settings.txt", "archive arrived\n")))
            .status());
    assertEquals(
        200,
        AgentClient.uploadArchive(
                runner, archiveId + "x", Tars.of(Map.of("dotfile", "home file arrived\n")))
            .status());
    assertEquals(200, post(runner, "/api/run", "").status());
    Pulled pulled = AgentClient.pullUntilFinished(runner, JOB_TIMEOUT);
    assertEquals("done", pulled.finalState().get("state"), pulled.log() + pulled.runnerLogText());
    assertTrue(pulled.log().contains("print('code arrived')"), pulled.log());
    assertTrue(pulled.log().contains("archive arrived"), pulled.log());
    assertTrue(pulled.log().contains("home file arrived"), pulled.log());
  }

  @Test
  void pullPagesThroughLongOutputByTimestampWithoutLosingOrRepeatingLines() throws Exception {
    agent.close();
    agent = Agent.start(settings(tmp.resolve("agent"), 0).withPullPageEvents(3));
    int runner =
        submitAndRun(
            UUID.randomUUID().toString(),
            List.of("for i in $(seq 1 20); do echo line-$i; sleep 0.15; done"),
            Map.of());
    // let the whole output accumulate so that it has to come in pages
    Thread.sleep(4000);
    Pulled pulled = AgentClient.pullUntilFinished(runner, JOB_TIMEOUT);
    StringBuilder expected = new StringBuilder();
    for (int i = 1; i <= 20; i++) {
      expected.append("line-").append(i).append('\n');
    }
    assertEquals(expected.toString(), pulled.log());
    assertTrue(pulled.pages >= 5, "pages: " + pulled.pages);
  }

  @Test
  void logsWebSocketStreamsOutputLiveAndClosesWhenTheJobEnds() throws Exception {
    int runner =
        submitAndRun(
            UUID.randomUUID().toString(),
            List.of("echo first", "sleep 2", "echo second"),
            Map.of());
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    CompletableFuture<Integer> closed = new CompletableFuture<>();
    List<Long> arrivals = new ArrayList<>();
    long start = System.nanoTime();
    HttpClient.newHttpClient()
        .newWebSocketBuilder()
        .buildAsync(
            URI.create("ws://127.0.0.1:" + runner + "/logs_ws"),
            new WebSocket.Listener() {
              @Override
              public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
                byte[] bytes = new byte[data.remaining()];
                data.get(bytes);
                synchronized (received) {
                  received.writeBytes(bytes);
                  arrivals.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                }
                ws.request(1);
                return null;
              }

              @Override
              public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
                closed.complete(status);
                return null;
              }
            })
        .get(10, TimeUnit.SECONDS);
    assertEquals(1000, closed.get(30, TimeUnit.SECONDS));
    String text = received.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("first") && text.contains("second"), text);
    assertTrue(text.contains("\r\n"), "the WebSocket carries the raw terminal output");
    assertTrue(arrivals.size() >= 2, "output arrived in several messages: " + arrivals);
    assertTrue(
        arrivals.get(arrivals.size() - 1) - arrivals.get(0) >= 1000, "arrived live: " + arrivals);
  }

  @Test
  void stopEndsTheJobGracefullyAndItsProcessGroupIsGone() throws Exception {
    int runner =
        submitAndRun(
            UUID.randomUUID().toString(),
            List.of("trap 'echo got-term; exit 0' TERM; sleep 300 & echo child=$!; wait"),
            Map.of());
    long child = waitForChildPid(runner);
    assertTrue(ProcessHandle.of(child).isPresent());
    assertEquals(200, post(runner, "/api/stop", "").status());
    Pulled pulled = AgentClient.pullUntilFinished(runner, JOB_TIMEOUT);
    assertEquals("terminated", pulled.finalState().get("state"));
    assertTrue(pulled.log().contains("got-term"), pulled.log());
    assertProcessGone(child);
  }

  @Test
  void aJobIgnoringTermIsKilledAfterTheTimeout() throws Exception {
    String id = UUID.randomUUID().toString();
    int runner =
        submitAndRun(
            id,
            List.of("trap '' TERM; sleep 300 & echo child=$!; while :; do sleep 1; done"),
            Map.of());
    long child = waitForChildPid(runner);
    long started = System.nanoTime();
    AgentClient.Response terminated =
        post(
            agent.port(),
            "/api/tasks/" + id + "/terminate",
            Map.of(
                "termination_reason",
                "terminated_by_user",
                "termination_message",
                "stop",
                "timeout",
                1));
    assertEquals(200, terminated.status(), terminated.body());
    assertEquals("terminated", terminated.json().get("status"));
    assertEquals("terminated_by_user", terminated.json().get("termination_reason"));
    assertTrue(
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) >= 900,
        "TERM alone did not end it");
    assertProcessGone(child);
    assertEquals(200, post(agent.port(), "/api/tasks/" + id + "/remove", "").status());
    assertEquals(404, get(agent.port(), "/api/tasks/" + id).status());
    assertFalse(Files.exists(tmp.resolve("agent").resolve("tasks").resolve(id)));
  }

  @Test
  void logQuotaExceededFailsTheJob() throws Exception {
    int runner =
        submitAndRun(
            UUID.randomUUID().toString(),
            List.of("i=0; while :; do echo some-output-line-$i; i=$((i+1)); done"),
            Map.of(),
            Map.of("log_quota_hour", 2000));
    Pulled pulled = AgentClient.pullUntilFinished(runner, JOB_TIMEOUT);
    assertEquals("failed", pulled.finalState().get("state"));
    assertEquals("log_quota_exceeded", pulled.finalState().get("termination_reason"));
    assertEquals(
        "Job log output exceeded the hourly quota of 2000 bytes",
        pulled.finalState().get("termination_message"));
    assertTrue(pulled.log().length() <= 2000);
  }

  @Test
  void maxDurationTerminatesTheJob() throws Exception {
    int runner =
        submitAndRun(UUID.randomUUID().toString(), List.of("sleep 300"), Map.of("max_duration", 1));
    Pulled pulled = AgentClient.pullUntilFinished(runner, JOB_TIMEOUT);
    assertEquals("terminated", pulled.finalState().get("state"));
    assertEquals("max_duration_exceeded", pulled.finalState().get("termination_reason"));
  }

  @Test
  void badRequestsGetClearErrorsAndChangeNothing() throws Exception {
    assertEquals(400, post(agent.port(), "/api/tasks", "{not json").status());
    Map<String, Object> noImage = AgentClient.task(UUID.randomUUID().toString(), List.of());
    noImage.put("image_name", "");
    AgentClient.Response refused = post(agent.port(), "/api/tasks", noImage);
    assertEquals(400, refused.status());
    assertEquals("empty image_name", refused.body().strip());
    Map<String, Object> badId = AgentClient.task("../../etc-" + UUID.randomUUID(), List.of());
    assertEquals(400, post(agent.port(), "/api/tasks", badId).status());
    assertEquals(404, get(agent.port(), "/api/tasks/nope").status());
    assertEquals(404, post(agent.port(), "/api/tasks/nope/terminate", Map.of()).status());
    assertEquals(List.of(), get(agent.port(), "/api/tasks").json().get("tasks"));

    String id = UUID.randomUUID().toString();
    int runner = newTask(id);
    assertEquals(409, post(agent.port(), "/api/tasks", AgentClient.task(id, List.of())).status());
    assertEquals(409, post(runner, "/api/run", "").status(), "run before submit");
    assertEquals(400, post(runner, "/api/submit", "[1,2]").status());
    assertEquals(400, get(runner, "/api/pull?timestamp=x").status());
    assertEquals(
        409,
        post(agent.port(), "/api/tasks/" + id + "/remove", "").status(),
        "a running task is not removed");
    assertEquals(1, ((List<?>) get(agent.port(), "/api/tasks").json().get("tasks")).size());
  }

  @Test
  void theTasksHostKeysAreAuthorizedWhileTheTaskExistsAndOnlyThen() throws Exception {
    Path authorized = tmp.resolve("user-home").resolve(".ssh").resolve("authorized_keys");
    Files.createDirectories(authorized.getParent());
    String own = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOwnKeyOfTheHostUser owner";
    String shared = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAISharedKeyAlreadyThere shared";
    Files.writeString(authorized, own + "\n" + shared + "\n");
    String userKey = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCuserKeyOfTheRun run-user";
    String id = UUID.randomUUID().toString();
    Map<String, Object> task = AgentClient.task(id, List.of());
    task.put("host_ssh_user", System.getProperty("user.name"));
    task.put("host_ssh_keys", List.of(userKey, shared.replace(" shared", " other-comment")));
    assertEquals(200, post(agent.port(), "/api/tasks", task).status());
    assertEquals(List.of(own, shared, userKey), Files.readAllLines(authorized));
    assertEquals(
        200, post(agent.port(), "/api/tasks/" + id + "/terminate", Map.of("timeout", 1)).status());
    assertEquals(200, post(agent.port(), "/api/tasks/" + id + "/remove", "").status());
    assertEquals(List.of(own, shared), Files.readAllLines(authorized), "the owner's keys stay");
  }

  @Test
  @SuppressWarnings("unchecked")
  void metricsReportTheCpuAndMemoryOfTheJobsProcesses() throws Exception {
    String id = UUID.randomUUID().toString();
    int runner = newTask(id);
    assertEquals(404, get(runner, "/api/metrics").status(), "nothing to measure before the run");
    assertEquals(
        200,
        post(
                runner,
                "/api/submit",
                AgentClient.submission(List.of("while :; do :; done"), Map.of()))
            .status());
    assertEquals(200, post(runner, "/api/run", "").status());
    Thread.sleep(1500);
    Map<String, Object> first = get(runner, "/api/metrics").json();
    Thread.sleep(1000);
    Map<String, Object> second = get(runner, "/api/metrics").json();
    assertTrue(
        (Long) second.get("cpu_usage_micro") - (Long) first.get("cpu_usage_micro") > 300_000,
        first + " " + second);
    assertTrue((Long) second.get("memory_usage_bytes") > 0);
    assertTrue((Long) second.get("timestamp_micro") > (Long) first.get("timestamp_micro"));
    assertEquals(List.of(), second.get("gpus"));
    post(runner, "/api/stop", "");
    assertEquals(
        "terminated", AgentClient.pullUntilFinished(runner, JOB_TIMEOUT).finalState().get("state"));
  }

  @Test
  void aRemoteRepoIsClonedAtItsCommitWithTheLocalDiffApplied() throws Exception {
    Path origin = tmp.resolve("origin");
    git(tmp, "init", "-q", "-b", "main", origin.toString());
    Files.writeString(origin.resolve("app.txt"), "version one\n");
    git(origin, "add", ".");
    git(origin, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "one");
    String commit = git(origin, "rev-parse", "HEAD").strip();
    Files.writeString(origin.resolve("app.txt"), "version two\n");
    git(origin, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-am", "two");
    String diff = "--- a/app.txt\n+++ b/app.txt\n@@ -1 +1 @@\n-version one\n+local edit\n";

    String id = UUID.randomUUID().toString();
    int runner = newTask(id);
    Map<String, Object> repoData =
        Map.of(
            "repo_type", "remote",
            "repo_branch", "main",
            "repo_hash", commit,
            "repo_config_name", "Dev",
            "repo_config_email", "dev@example.com");
    Map<String, Object> submission =
        AgentClient.submission(
            List.of("cat app.txt", "git log --format=%s -1", "git config user.email"),
            Map.of("repo_data", repoData, "repo_dir", "/workflow"));
    submission.put("repo_credentials", Map.of("clone_url", "file://" + origin));
    assertEquals(200, post(runner, "/api/submit", submission).status());
    assertEquals(
        200,
        AgentClient.postBytes(
                runner,
                "/api/upload_code",
                diff.getBytes(StandardCharsets.UTF_8),
                "application/octet-stream")
            .status());
    assertEquals(200, post(runner, "/api/run", "").status());
    Pulled pulled = AgentClient.pullUntilFinished(runner, JOB_TIMEOUT);
    assertEquals("done", pulled.finalState().get("state"), pulled.log() + pulled.runnerLogText());
    assertEquals("local edit\none\ndev@example.com\n", pulled.log());
  }

  @Test
  void aRepoThatCannotBeSetUpFailsTheJobWithUpstreamsReason() throws Exception {
    int runner = newTask(UUID.randomUUID().toString());
    Map<String, Object> submission =
        AgentClient.submission(
            List.of("echo never"), Map.of("repo_data", Map.of("repo_type", "remote")));
    submission.put("repo_credentials", Map.of("clone_url", "file://" + tmp.resolve("missing")));
    assertEquals(200, post(runner, "/api/submit", submission).status());
    assertEquals(200, post(runner, "/api/run", "").status());
    Pulled pulled = AgentClient.pullUntilFinished(runner, JOB_TIMEOUT);
    assertEquals("failed", pulled.finalState().get("state"));
    assertEquals("container_exited_with_error", pulled.finalState().get("termination_reason"));
    assertTrue(
        ((String) pulled.finalState().get("termination_message"))
            .startsWith("Failed to set up the repo (git clone failed"));
    assertEquals("", pulled.log());
  }

  @Test
  void componentsHealthAndShutdownAnswerAsUpstreamsShim() throws Exception {
    Map<String, Object> components = get(agent.port(), "/api/components").json();
    assertEquals(
        List.of(
            Map.of("name", "dstack-runner", "version", "0.20.29", "status", "installed"),
            Map.of("name", "dstack-shim", "version", "0.20.29", "status", "installed")),
        components.get("components"));
    assertEquals(Map.of(), withoutNulls(get(agent.port(), "/api/instance/health").json()));
    assertEquals(
        "unknown component",
        post(agent.port(), "/api/components/install", Map.of("name", "x", "url", "u"))
            .body()
            .strip());
    assertEquals(
        "empty url",
        post(agent.port(), "/api/components/install", Map.of("name", "dstack-shim"))
            .body()
            .strip());
    String id = UUID.randomUUID().toString();
    newTask(id);
    assertEquals(404, get(agent.port(), "/metrics/tasks/" + id).status());
    assertEquals(200, post(agent.port(), "/api/shutdown", Map.of("force", false)).status());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    boolean stopped = false;
    while (!stopped && System.nanoTime() < deadline) {
      try {
        get(agent.port(), "/api/healthcheck");
        Thread.sleep(100);
      } catch (IOException refused) {
        stopped = true;
      }
    }
    assertTrue(stopped, "the agent stopped answering");
  }

  private static Map<String, Object> withoutNulls(Map<String, Object> map) {
    Map<String, Object> copy = new java.util.LinkedHashMap<>(map);
    copy.values().removeIf(java.util.Objects::isNull);
    return copy;
  }

  private static String git(Path dir, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("git"));
    command.addAll(List.of(args));
    Process process =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, process.waitFor(), output);
    return output;
  }

  @Test
  @SuppressWarnings("unchecked")
  void withADockerDaemonAJobNamingAnImageRunsInAContainer() throws Exception {
    // only where a daemon runs (none on the CI machines): the commands are unit-tested in
    // ContainerJobTest
    assumeTrue(Docker.daemonAnswers(), "no Docker daemon answers here");
    int runner = newTask(UUID.randomUUID().toString());
    Map<String, Object> submission =
        AgentClient.submission(
            List.of("unused"),
            Map.of(
                "commands",
                List.of("/bin/sh", "-c", "cat /etc/alpine-release && echo in-container")));
    Map<String, Object> runSpec = (Map<String, Object>) submission.get("run_spec");
    ((Map<String, Object>) runSpec.get("configuration")).put("image", "alpine:3.20");
    assertEquals(200, post(runner, "/api/submit", submission).status());
    assertEquals(200, post(runner, "/api/run", "").status());
    Pulled pulled = AgentClient.pullUntilFinished(runner, Duration.ofMinutes(5));
    assertEquals("done", pulled.finalState().get("state"), pulled.log());
    assertTrue(pulled.log().contains("in-container"), pulled.log());
  }

  private long waitForChildPid(int runner) throws Exception {
    Pulled pulled = new Pulled();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      pulled.pullOnce(runner);
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("child=(\\d+)").matcher(pulled.log());
      if (m.find()) {
        return Long.parseLong(m.group(1));
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the job did not report its child: " + pulled.log());
  }

  static void assertProcessGone(long pid) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline
        && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      Thread.sleep(50);
    }
    assertFalse(
        ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
        "process " + pid + " is gone");
  }
}
