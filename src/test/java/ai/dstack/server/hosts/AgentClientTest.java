package ai.dstack.server.hosts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.hosts.testing.TestHost;
import ai.dstack.server.hosts.testing.TestHosts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The shim API of a deployed agent, through the pool's forward. */
@Timeout(120)
class AgentClientTest {
  private static final HostDeployer.Settings SETTINGS =
      new HostDeployer.Settings(
          Path.of("target/dstack-agent.jar"),
          ".dstack-agent",
          10998,
          Map.of(),
          Duration.ofSeconds(30),
          Duration.ofSeconds(30));
  private static TestHosts hosts;
  private static TestHost host;
  private static SshPool pool;
  private static AgentClient agent;
  private static HostDeployer deployer;

  @BeforeAll
  static void deployAgent() throws Exception {
    hosts = TestHosts.create(1);
    host = hosts.host(0);
    pool = new SshPool(Duration.ofSeconds(5), Duration.ofSeconds(30));
    agent = new AgentClient(pool, 10998, Duration.ofSeconds(5));
    deployer = new HostDeployer(pool, agent);
    deployer.deploy(host.target(), List.of(), SETTINGS);
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

  @Test
  void healthcheckAnswersAsTheShim() throws Exception {
    Map<String, Object> health = agent.healthcheck(host.target());
    assertEquals("dstack-shim", health.get("service"));
    assertEquals("0.20.29", health.get("version"));
  }

  @Test
  void getReturnsTheBodyAndErrorsCarryTheStatus() throws Exception {
    assertTrue(agent.get(host.target(), "/api/tasks").contains("\"tasks\""));
    HostException missing =
        assertThrows(HostException.class, () -> agent.get(host.target(), "/api/tasks/nope"));
    assertEquals(404, missing.httpStatus());
    assertEquals(
        "The agent on "
            + host.address()
            + " answered 404 to GET /api/tasks/nope: task nope not found",
        missing.getMessage());
  }

  @Test
  void postSendsTheJsonBody() throws Exception {
    String task = "{\"id\":\"t1\",\"name\":\"job\",\"image_name\":\"ubuntu\"}";
    assertTrue(agent.post(host.target(), "/api/tasks", task).contains("\"id\":\"t1\""));
    HostException twice =
        assertThrows(HostException.class, () -> agent.post(host.target(), "/api/tasks", task));
    assertEquals(409, twice.httpStatus());
    HostException malformed =
        assertThrows(
            HostException.class, () -> agent.post(host.target(), "/api/tasks", "{not json"));
    assertEquals(400, malformed.httpStatus());
    agent.post(host.target(), "/api/tasks/t1/terminate", "{\"timeout\":0}");
    agent.post(host.target(), "/api/tasks/t1/remove", "{}");
    assertEquals("{\"tasks\":[]}", agent.get(host.target(), "/api/tasks").strip());
  }

  @Test
  void droppedSessionIsReopenedForTheNextRequest() throws Exception {
    agent.healthcheck(host.target());
    int logins = host.acceptedLogins();
    // sshd restarted: the pooled session and its forward die, the agent keeps running
    host.stopSshd();
    host.startSshd();
    assertEquals("dstack-shim", agent.healthcheck(host.target()).get("service"));
    assertEquals(logins + 1, host.acceptedLogins());
    assertEquals(1, pool.openSessions());
  }

  @Test
  void stoppedAgentIsReportedWithoutReconnecting() throws Exception {
    agent.healthcheck(host.target());
    int logins = host.acceptedLogins();
    deployer.stopAgent(host.target(), SETTINGS);
    try {
      HostException down =
          assertThrows(HostException.class, () -> agent.healthcheck(host.target()));
      assertTrue(
          down.getMessage()
              .startsWith("The agent on " + host.address() + " is not reachable on port 10998: "),
          down.getMessage());
      // the session was fine: kept, not reopened
      assertEquals(logins, host.acceptedLogins());
      assertEquals(1, pool.openSessions());
    } finally {
      deployer.deploy(host.target(), List.of(), SETTINGS);
    }
  }
}
