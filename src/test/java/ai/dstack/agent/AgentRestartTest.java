package ai.dstack.agent;

import static ai.dstack.agent.AgentClient.get;
import static ai.dstack.agent.AgentClient.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.agent.AgentClient.Pulled;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Agents as separate JVMs, as on a host: killed and restarted, and two side by side. */
class AgentRestartTest {
  @TempDir Path tmp;

  /** A child JVM running the agent from the test classpath, on its own home and port. */
  private static final class AgentJvm implements AutoCloseable {
    final Process process;
    final int port;

    AgentJvm(Path home, Path userHome, int port) throws Exception {
      this.port = port;
      Files.createDirectories(userHome);
      Path java = Path.of(System.getProperty("java.home"), "bin", "java");
      this.process =
          new ProcessBuilder(
                  java.toString(),
                  "-Xmx64m",
                  "-Duser.home=" + userHome,
                  "-cp",
                  System.getProperty("java.class.path"),
                  AgentMain.class.getName(),
                  "--home",
                  home.toString(),
                  "--port",
                  Integer.toString(port))
              .redirectErrorStream(true)
              .redirectOutput(home.resolveSibling(home.getFileName() + ".log").toFile())
              .start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < deadline) {
        try {
          if (get(port, "/api/healthcheck").status() == 200) {
            return;
          }
        } catch (IOException notYet) {
          Thread.sleep(100);
        }
      }
      throw new AssertionError("the agent did not answer on port " + port);
    }

    @Override
    public void close() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static int startJob(int agentPort, String id, List<String> commands) throws Exception {
    AgentClient.Response task = post(agentPort, "/api/tasks", AgentClient.task(id, List.of()));
    assertEquals(200, task.status(), task.body());
    int runner = AgentClient.port(task.json(), 10999);
    assertEquals(
        200, post(runner, "/api/submit", AgentClient.submission(commands, Map.of())).status());
    assertEquals(200, post(runner, "/api/run", "").status());
    return runner;
  }

  @Test
  void aJobOutlivesAKilledAgentAndTheNextAgentPicksItUpWhereTheServerStoppedPulling()
      throws Exception {
    Path home = tmp.resolve("agent");
    int port = freePort();
    String id = UUID.randomUUID().toString();
    Pulled pulled = new Pulled();
    int runner;
    try (AgentJvm first = new AgentJvm(home, tmp.resolve("user"), port)) {
      runner = startJob(port, id, List.of("for i in $(seq 1 40); do echo n-$i; sleep 0.1; done"));
      while (!pulled.log().contains("n-5\n")) {
        pulled.pullOnce(runner);
        Thread.sleep(100);
      }
    } // killed (SIGKILL) with the job in the middle of its output
    Thread.sleep(1000);
    try (AgentJvm second = new AgentJvm(home, tmp.resolve("user"), port)) {
      Map<String, Object> task = get(port, "/api/tasks/" + id).json();
      assertEquals("running", task.get("status"));
      assertEquals(runner, AgentClient.port(task, 10999), "the runner keeps its port");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline && (pulled.finalState() == null || pulled.hasMore)) {
        pulled.pullOnce(runner);
        Thread.sleep(100);
      }
      assertEquals("done", pulled.finalState().get("state"), pulled.runnerLogText());
      StringBuilder expected = new StringBuilder();
      for (int i = 1; i <= 40; i++) {
        expected.append("n-").append(i).append('\n');
      }
      assertEquals(expected.toString(), pulled.log(), "every line exactly once");
      assertTrue(pulled.runnerLogText().contains("Agent restarted; the job is still running"));
    }
  }

  @Test
  void twoAgentsShareAMachineWithTheirOwnPortsHomesAndTasks() throws Exception {
    int portA = freePort();
    int portB = freePort();
    try (AgentJvm a = new AgentJvm(tmp.resolve("a"), tmp.resolve("user-a"), portA);
        AgentJvm b = new AgentJvm(tmp.resolve("b"), tmp.resolve("user-b"), portB)) {
      String idA = UUID.randomUUID().toString();
      String idB = UUID.randomUUID().toString();
      int runnerA = startJob(portA, idA, List.of("echo from-a"));
      int runnerB = startJob(portB, idB, List.of("echo from-b"));
      Pulled fromA = AgentClient.pullUntilFinished(runnerA, Duration.ofSeconds(60));
      Pulled fromB = AgentClient.pullUntilFinished(runnerB, Duration.ofSeconds(60));
      assertEquals("from-a\n", fromA.log());
      assertEquals("from-b\n", fromB.log());
      assertEquals(404, get(portA, "/api/tasks/" + idB).status());
      assertEquals(404, get(portB, "/api/tasks/" + idA).status());
      assertTrue(Files.exists(tmp.resolve("a").resolve("tasks").resolve(idA).resolve("output")));
      assertTrue(Files.exists(tmp.resolve("b").resolve("tasks").resolve(idB).resolve("output")));
    }
  }
}
