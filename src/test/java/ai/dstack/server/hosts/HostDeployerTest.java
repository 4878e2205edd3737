package ai.dstack.server.hosts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.hosts.testing.TestHost;
import ai.dstack.server.hosts.testing.TestHosts;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Deploying the real agent jar to throwaway hosts (no systemd here: the supervisor script keeps it
 * running) and reaching it through the pool's forwards.
 */
@Timeout(120)
class HostDeployerTest {
  private static final Path AGENT_JAR = Path.of("target/dstack-agent.jar");
  private static final String FLEET_VALUE = "it's a \"fleet\" $HOME `id` \\ end";
  private static TestHosts hosts;
  private static SshPool pool;
  private static AgentClient agent;
  private static HostDeployer deployer;

  @BeforeAll
  static void createHosts() throws Exception {
    assertTrue(Files.isRegularFile(AGENT_JAR), "no " + AGENT_JAR + ": run mvn process-classes");
    hosts = TestHosts.create(2);
    pool = new SshPool(Duration.ofSeconds(5), Duration.ofSeconds(10));
    agent = new AgentClient(pool, 10998, Duration.ofSeconds(5));
    deployer = new HostDeployer(pool, agent);
  }

  @AfterAll
  static void removeHosts() {
    if (pool != null) {
      pool.close();
    }
    if (hosts != null) {
      hosts.close();
    }
  }

  private static HostDeployer.Settings settings(Map<String, String> env) {
    return new HostDeployer.Settings(
        AGENT_JAR, ".dstack-agent", 10998, env, Duration.ofSeconds(30), Duration.ofSeconds(30));
  }

  private static HostDeployer.Deployment deploy(TestHost host) throws HostException {
    return deployer.deploy(host.target(), List.of(), settings(Map.of("FLEET_NOTE", FLEET_VALUE)));
  }

  @Test
  void deployStartsAHealthyAgentThatDescribesThisMachine() throws Exception {
    CompletableFuture<HostDeployer.Deployment> first = deployAsync(hosts.host(0));
    CompletableFuture<HostDeployer.Deployment> second = deployAsync(hosts.host(1));
    for (TestHost host : hosts.hosts()) {
      HostDeployer.Deployment deployment = (host == hosts.host(0) ? first : second).get();
      assertEquals("amd64", deployment.arch());
      assertEquals("process", deployment.supervisor());
      assertEquals("0.20.29", deployment.agentVersion());
      JsonObject info = Json.createReader(new StringReader(deployment.hostInfoJson())).readObject();
      assertEquals(Runtime.getRuntime().availableProcessors(), info.getInt("cpus"));
      assertEquals(memTotal(), info.getJsonNumber("memory").longValue());
      assertTrue(
          info.getJsonArray("addresses").getString(0).equals(host.address() + "/24"),
          deployment.hostInfoJson());
      assertTrue(deployer.agentHealthy(host.target()));
      assertEquals("dstack-shim", agent.healthcheck(host.target()).get("service"));
      // the fleet's env reaches the agent process as given
      long agentPid = agentPid(host);
      String environ = host.exec("tr '\\0' '\\n' < /proc/" + agentPid + "/environ").stdout();
      assertTrue(environ.contains("FLEET_NOTE=" + FLEET_VALUE + "\n"), environ);
      assertFalse(environ.contains("DSTACK_AGENT_JAVA"), environ);
    }
  }

  @Test
  void deployAddsOnlyTheAuthorizedKeysThatAreMissing() throws Exception {
    TestHost host = hosts.host(0);
    String projectKey =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBtestkeytestkeytestkeytestkeytestkeytestke project";
    String sameKeyOtherComment = projectKey.replace(" project", " renamed");
    String ownKeyOtherComment =
        host.key().publicKey().split(" ")[0]
            + " "
            + host.key().publicKey().split(" ")[1]
            + " again";
    for (int i = 0; i < 2; i++) {
      deployer.deploy(
          host.target(),
          List.of(projectKey, sameKeyOtherComment, ownKeyOtherComment),
          settings(Map.of("FLEET_NOTE", FLEET_VALUE)));
    }
    String keys = host.exec("cat .ssh/authorized_keys").stdout();
    assertEquals(List.of(host.key().publicKey(), projectKey), keys.lines().toList());
  }

  @Test
  void repeatedDeployReusesTheRunningAgentAndTheUploadedJar() throws Exception {
    TestHost host = hosts.host(0);
    deploy(host);
    String jarBefore = host.exec("stat -c '%i %Y' .dstack-agent/dstack-agent.jar").stdout();
    long agentBefore = agentPid(host);
    long start = System.nanoTime();
    HostDeployer.Deployment again = deploy(host);
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertEquals(jarBefore, host.exec("stat -c '%i %Y' .dstack-agent/dstack-agent.jar").stdout());
    assertEquals(agentBefore, agentPid(host));
    assertEquals(1, host.processesRunning("dstack-agent.sh supervise").size());
    assertEquals(1, host.processesRunning("dstack-agent.jar").size());
    assertTrue(took.compareTo(Duration.ofSeconds(5)) < 0, "a repeated deploy took " + took);
    assertEquals("process", again.supervisor());
  }

  @Test
  void changedEnvironmentRestartsTheAgentWithIt() throws Exception {
    TestHost host = hosts.host(1);
    deploy(host);
    long before = agentPid(host);
    deployer.deploy(host.target(), List.of(), settings(Map.of("FLEET_NOTE", "changed")));
    long after = agentPid(host);
    assertNotEquals(before, after);
    String environ = host.exec("tr '\\0' '\\n' < /proc/" + after + "/environ").stdout();
    assertTrue(environ.contains("FLEET_NOTE=changed\n"), environ);
    assertEquals(1, host.processesRunning("dstack-agent.sh supervise").size());
    deploy(host);
  }

  @Test
  void killedAgentIsRestartedByItsSupervisor() throws Exception {
    TestHost host = hosts.host(0);
    deploy(host);
    long killed = agentPid(host);
    assertEquals(0, host.exec("kill -9 " + killed).exitCode());
    await(
        () -> !deployer.agentHealthy(host.target()), Duration.ofSeconds(5), "agent still healthy");
    await(() -> deployer.agentHealthy(host.target()), Duration.ofSeconds(30), "agent not back");
    assertNotEquals(killed, agentPid(host));
    assertEquals(1, host.processesRunning("dstack-agent.jar").size());
  }

  @Test
  void restartAgentBringsBackAnAgentWhoseSupervisorDied() throws Exception {
    TestHost host = hosts.host(1);
    deploy(host);
    List<Long> supervisors = host.processesRunning("dstack-agent.sh supervise");
    assertEquals(1, supervisors.size());
    host.exec("kill -9 " + supervisors.get(0) + " " + agentPid(host));
    await(
        () -> !deployer.agentHealthy(host.target()), Duration.ofSeconds(5), "agent still healthy");
    deployer.restartAgent(host.target(), settings(Map.of("FLEET_NOTE", FLEET_VALUE)));
    assertTrue(deployer.agentHealthy(host.target()));
    assertEquals(1, host.processesRunning("dstack-agent.sh supervise").size());
    assertEquals(1, host.processesRunning("dstack-agent.jar").size());
  }

  @Test
  void stopAgentLeavesNoAgentOrSupervisorBehind() throws Exception {
    TestHost host = hosts.host(1);
    deploy(host);
    HostDeployer.Settings settings = settings(Map.of("FLEET_NOTE", FLEET_VALUE));
    deployer.stopAgent(host.target(), settings);
    assertEquals(
        List.of(), host.processesRunning("dstack-agent"), host.userCommandLines().toString());
    assertFalse(deployer.agentHealthy(host.target()));
    deployer.stopAgent(host.target(), settings); // stopping a stopped agent changes nothing
    assertTrue(deploy(host).hostInfoJson().contains("\"cpus\""));
    assertTrue(deployer.agentHealthy(host.target()));
  }

  @Test
  void hostWithoutJavaIsRefusedWithOneLineMessage() throws Exception {
    TestHost host = hosts.host(1);
    // a PATH with uname but no java; then one whose java is too old
    host.exec(
        "mkdir -p nojava oldjava && ln -sf /usr/bin/uname nojava/uname && ln -sf /usr/bin/uname oldjava/uname"
            + " && printf '#!/bin/sh\\necho \"openjdk version \\\\\"11.0.22\\\\\" 2024-01-16\" >&2\\n' > oldjava/java"
            + " && chmod +x oldjava/java");
    try {
      host.setSessionPath(host.home() + "/nojava");
      HostException missing = assertThrows(HostException.class, () -> deploy(host));
      assertEquals(
          "Java 17 or newer is required on " + host.address() + " (java not found)",
          missing.getMessage());
      host.setSessionPath(host.home() + "/oldjava");
      HostException old = assertThrows(HostException.class, () -> deploy(host));
      assertEquals(
          "Java 17 or newer is required on " + host.address() + " (found 11.0.22)",
          old.getMessage());
    } finally {
      host.setSessionPath(null);
    }
    assertEquals("amd64", deploy(host).arch());
  }

  private static CompletableFuture<HostDeployer.Deployment> deployAsync(TestHost host) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return deploy(host);
          } catch (HostException e) {
            throw new IllegalStateException(e.getMessage(), e);
          }
        });
  }

  private static long agentPid(TestHost host) throws IOException {
    List<Long> agents = host.processesRunning("dstack-agent.jar");
    assertEquals(1, agents.size(), host.userCommandLines().toString());
    String recorded = host.exec("cat .dstack-agent/agent.pid").stdout().strip();
    assertEquals(String.valueOf(agents.get(0)), recorded);
    return agents.get(0);
  }

  private static long memTotal() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
      if (line.startsWith("MemTotal:")) {
        return Long.parseLong(line.split("\\s+")[1]) * 1024;
      }
    }
    throw new IOException("no MemTotal");
  }

  private static void await(BooleanSupplier condition, Duration timeout, String failure)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, failure + " after " + timeout.toSeconds() + " s");
      Thread.sleep(100);
    }
  }
}
