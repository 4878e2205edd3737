package ai.dstack.agent;

import static ai.dstack.agent.AgentClient.get;
import static ai.dstack.agent.AgentClient.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged agent as a host runs it ({@code java -jar dstack-agent.jar}), reached the way the
 * CLI attaches: OpenSSH to the job's SSH endpoint, forwarding the runner's container port 10999.
 */
class AgentJarIT {
  @TempDir Path tmp;
  private Process agent;
  private int port;

  @BeforeEach
  void startJar() throws Exception {
    Path jar = Path.of(System.getProperty("it.agentJar"));
    assertTrue(Files.exists(jar), "build the agent jar first: " + jar);
    port = freePort();
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    agent =
        new ProcessBuilder(
                java.toString(),
                "-Xmx64m",
                "-Duser.home=" + tmp.resolve("user"),
                "-jar",
                jar.toString(),
                "--home",
                tmp.resolve("agent").toString(),
                "--port",
                Integer.toString(port))
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("agent.log").toFile())
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        if (get(port, "/api/healthcheck").status() == 200) {
          return;
        }
      } catch (IOException notYet) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError(Files.readString(tmp.resolve("agent.log")));
        }
        Thread.sleep(100);
      }
    }
  }

  @AfterEach
  void stopJar() throws InterruptedException {
    agent.destroyForcibly();
    agent.waitFor(10, TimeUnit.SECONDS);
  }

  @Test
  void theCliAttachPathReachesTheJobsShellAndItsRunnerThroughTheJobsSshEndpoint() throws Exception {
    Path key = keyPair("user_key");
    Path otherKey = keyPair("other_key");
    String publicKey = Files.readString(key.resolveSibling("user_key.pub")).strip();
    String id = UUID.randomUUID().toString();
    AgentClient.Response task = post(port, "/api/tasks", AgentClient.task(id, List.of(publicKey)));
    assertEquals(200, task.status(), task.body());
    int runner = AgentClient.port(task.json(), 10999);
    int ssh = AgentClient.port(task.json(), 10022);
    Map<String, Object> submission = AgentClient.submission(List.of("sleep 60"), Map.of());
    assertEquals(200, post(runner, "/api/submit", submission).status());
    String workingDir = (String) post(runner, "/api/run", "").json().get("working_dir");

    Result shell = ssh(key, ssh, List.of(), "pwd; echo run=$DSTACK_RUN_NAME");
    assertEquals(0, shell.exit(), shell.output());
    assertEquals(workingDir + "\nrun=test-run\n", shell.output());

    assertTrue(viaTunnel(key, ssh).contains("\"service\":\"dstack-runner\""));

    Result refused = ssh(otherKey, ssh, List.of(), "true");
    assertEquals(255, refused.exit(), "a key the run did not bring is refused");

    assertEquals(200, post(port, "/api/tasks/" + id + "/terminate", Map.of("timeout", 2)).status());
    assertEquals(200, post(port, "/api/tasks/" + id + "/remove", "").status());
  }

  /** Opens {@code -L local:localhost:10999} as the CLI does and asks the runner through it. */
  private String viaTunnel(Path key, int sshPort) throws Exception {
    int local = freePort();
    Process tunnel =
        new ProcessBuilder(
                sshCommand(key, sshPort, List.of("-N", "-L", local + ":localhost:10999"), null))
            .redirectErrorStream(true)
            .start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (true) {
        try {
          return get(local, "/api/healthcheck").body();
        } catch (IOException notYet) {
          if (System.nanoTime() > deadline) {
            throw new AssertionError("the tunnel did not open");
          }
          Thread.sleep(200);
        }
      }
    } finally {
      tunnel.destroy();
    }
  }

  private record Result(int exit, String output) {}

  private Result ssh(Path key, int sshPort, List<String> options, String command) throws Exception {
    Process process =
        new ProcessBuilder(sshCommand(key, sshPort, options, command))
            .redirectErrorStream(false)
            .start();
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(30, TimeUnit.SECONDS), "ssh finished");
    return new Result(process.exitValue(), output);
  }

  private static List<String> sshCommand(
      Path key, int sshPort, List<String> options, String command) {
    List<String> argv =
        new ArrayList<>(
            List.of(
                "ssh",
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "BatchMode=yes",
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "LogLevel=ERROR",
                "-i",
                key.toString(),
                "-p",
                Integer.toString(sshPort)));
    argv.addAll(options);
    argv.add(System.getProperty("user.name") + "@127.0.0.1");
    if (command != null) {
      argv.add(command);
    }
    return argv;
  }

  private Path keyPair(String name) throws Exception {
    Path key = tmp.resolve(name);
    Process keygen =
        new ProcessBuilder(
                "ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", key.toString())
            .redirectErrorStream(true)
            .start();
    assertEquals(0, keygen.waitFor());
    return key;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
