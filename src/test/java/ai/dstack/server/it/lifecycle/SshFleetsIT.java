package ai.dstack.server.it.lifecycle;

import static ai.dstack.server.it.Expect.body;
import static ai.dstack.server.it.Expect.ok;
import static ai.dstack.server.it.Expect.okNull;
import static ai.dstack.server.it.Expect.resourceNotExists;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.hosts.testing.TestHost;
import ai.dstack.server.hosts.testing.TestHosts;
import ai.dstack.server.it.Api;
import ai.dstack.server.it.DstackServer;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SSH fleets on real hosts: network namespaces on this machine, each with its own sshd and user
 * (TestHosts), reached by the WAR in Payara Micro over SSH, the agent deployed and supervised.
 */
class SshFleetsIT {
  private static final Duration READY = Duration.ofSeconds(150);
  private static TestHosts hosts;
  private static DstackServer server;
  private static Api api;

  @BeforeAll
  static void start() throws Exception {
    hosts = TestHosts.create(4);
    Path home = Files.createTempDirectory(Path.of(System.getProperty("it.workDir")), "ssh-fleets");
    server =
        new DstackServer(home)
            .env("DSTACK_SERVER_PIPELINE_INSTANCES_MIN_INTERVAL", "1")
            .env("DSTACK_SERVER_PIPELINE_INSTANCES_MAX_IDLE_DELAY", "1")
            .env("DSTACK_SERVER_PIPELINE_FLEETS_MIN_INTERVAL", "1")
            .env("DSTACK_SERVER_PIPELINE_FLEETS_MAX_IDLE_DELAY", "1")
            .env("DSTACK_SERVER_INSTANCE_RETRY_MAX_DELAY", "2")
            .env("DSTACK_SERVER_SSH_CONNECT_TIMEOUT", "3")
            .env("DSTACK_SERVER_INSTANCE_PROVISIONING_TIMEOUT", "25");
    server.start();
    api = new Api(server.url(), server.adminToken());
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

  private static JsonObjectBuilder host(TestHost host, int port, String privateKey) {
    return Json.createObjectBuilder()
        .add("hostname", host.address())
        .add("port", port)
        .add("user", host.user())
        .add(
            "ssh_key",
            Json.createObjectBuilder()
                .add("public", host.key().publicKey())
                .add("private", privateKey));
  }

  private static JsonObjectBuilder host(TestHost host) {
    return host(host, host.port(), host.key().privateKey());
  }

  private static JsonObject spec(String name, List<JsonObjectBuilder> hostList) {
    JsonArrayBuilder list = Json.createArrayBuilder();
    hostList.forEach(list::add);
    return Json.createObjectBuilder()
        .add(
            "configuration",
            Json.createObjectBuilder()
                .add("type", "fleet")
                .add("name", name)
                .add("ssh_config", Json.createObjectBuilder().add("hosts", list))
                .add("env", Json.createObjectBuilder().add("FLEET_VAR", "on-the-host")))
        .add("configuration_path", "fleet.yml")
        .add("profile", Json.createObjectBuilder().add("name", "default"))
        .build();
  }

  /** get_plan, then apply what the plan echoed, as the CLI does. */
  private static JsonObject apply(JsonObject spec) {
    JsonObject plan =
        ok(
            api.post(
                "/api/project/main/fleets/get_plan",
                Json.createObjectBuilder().add("spec", spec).build().toString()));
    return ok(
        api.post(
            "/api/project/main/fleets/apply",
            Json.createObjectBuilder()
                .add(
                    "plan",
                    Json.createObjectBuilder()
                        .add("spec", plan.get("spec"))
                        .add("current_resource", plan.get("current_resource")))
                .add("force", false)
                .build()
                .toString()));
  }

  private static JsonObject fleet(String name) {
    return ok(api.post("/api/project/main/fleets/get", body("name", name)));
  }

  private static JsonObject instance(JsonObject fleet, String hostname) {
    return fleet.getJsonArray("instances").stream()
        .map(JsonObject.class::cast)
        .filter(i -> i.getString("hostname").equals(hostname))
        .reduce((a, b) -> b)
        .orElse(null);
  }

  /** Polls fleets/get (as the CLI does after apply) until the condition holds. */
  private static JsonObject awaitFleet(String name, Predicate<JsonObject> condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + READY.toNanos();
    JsonObject last = null;
    while (System.nanoTime() < deadline) {
      last = fleet(name);
      if (condition.test(last)) {
        return last;
      }
      Thread.sleep(500);
    }
    throw new AssertionError("timed out waiting for " + what + ": " + last);
  }

  private static Predicate<JsonObject> hostStatus(String hostname, String status) {
    return f -> {
      JsonObject i = instance(f, hostname);
      return i != null && i.getString("status").equals(status);
    };
  }

  /** The pid of the agent's JVM on the host, or -1. */
  private static long agentPid(TestHost host) throws Exception {
    String line = agentProcess(host);
    return line.isEmpty() ? -1 : Long.parseLong(line.split(" ")[0]);
  }

  private static String agentProcess(TestHost host) throws Exception {
    // the brackets keep the pattern from matching the shell that runs pgrep
    return host.exec("pgrep -a -u \"$(id -u)\" -f 'java.*[d]stack-agent[.]jar' | head -n 1")
        .stdout()
        .strip();
  }

  private static long memTotalMib() throws Exception {
    Matcher m =
        Pattern.compile("MemTotal:\\s+(\\d+) kB")
            .matcher(Files.readString(Path.of("/proc/meminfo")));
    assertTrue(m.find());
    return Long.parseLong(m.group(1)) / 1024;
  }

  @Test
  void aFleetOfTwoHostsBecomesIdleThenChangesInPlaceAndEndsWithItsAgentsStopped() throws Exception {
    TestHost a = hosts.host(0);
    TestHost b = hosts.host(1);
    TestHost c = hosts.host(2);
    JsonObject created = apply(spec("onprem", List.of(host(a), host(b))));
    assertEquals(2, created.getJsonArray("instances").size());
    JsonObject ready =
        awaitFleet(
            "onprem",
            hostStatus(a.address(), "idle").and(hostStatus(b.address(), "idle")),
            "both hosts idle");
    JsonObject resources =
        instance(ready, a.address()).getJsonObject("instance_type").getJsonObject("resources");
    assertEquals(Runtime.getRuntime().availableProcessors(), resources.getInt("cpus"));
    assertEquals(memTotalMib(), resources.getJsonNumber("memory_mib").longValue());
    assertFalse(ready.toString().contains("PRIVATE KEY"));
    assertTrue(agentPid(a) > 0 && agentPid(b) > 0, "an agent runs on each host");
    assertTrue(
        a.exec("cat .dstack-agent/agent.env").stdout().contains("FLEET_VAR"),
        "the fleet's env reaches the agent");

    String keptId = instance(ready, b.address()).getString("id");
    okNull(
        api.post(
            "/api/project/main/fleets/delete_instances",
            body("name", "onprem", "instance_nums", List.of(0))));
    awaitFleet(
        "onprem",
        f ->
            instance(f, a.address()) == null
                || instance(f, a.address()).getString("status").equals("terminated"),
        "host a removed");
    awaitNoAgent(a, "the removed host's agent is stopped");

    JsonObject updated = apply(spec("onprem", List.of(host(b), host(c))));
    assertEquals(keptId, instance(updated, b.address()).getString("id"), "b is untouched");
    awaitFleet("onprem", hostStatus(c.address(), "idle"), "host c idle");

    okNull(api.post("/api/project/main/fleets/delete", body("names", List.of("onprem"))));
    long deadline = System.nanoTime() + READY.toNanos();
    while (System.nanoTime() < deadline
        && api.post("/api/project/main/fleets/get", body("name", "onprem")).status() == 200) {
      Thread.sleep(500);
    }
    resourceNotExists(api.post("/api/project/main/fleets/get", body("name", "onprem")));
    awaitNoAgent(b, "agents stop with their fleet");
    awaitNoAgent(c, "agents stop with their fleet");
  }

  @Test
  void hostsThatCannotBeDeployedSayWhyAndAKilledAgentOrSshdIsNoticedAndRecovered()
      throws Exception {
    TestHost d = hosts.host(3);
    String wrongKey = hosts.host(0).key().privateKey(); // another host's key: not authorized on d
    JsonObject broken = apply(spec("broken", List.of(host(d, 2222, d.key().privateKey()))));
    assertEquals(1, broken.getJsonArray("instances").size());
    JsonObject refused =
        awaitFleet(
            "broken",
            f -> instance(f, d.address()).get("status_message") instanceof jakarta.json.JsonString,
            "a status message");
    assertTrue(
        instance(refused, d.address()).getString("status_message").contains("2222"),
        refused.toString());
    assertEquals("pending", instance(refused, d.address()).getString("status"));
    JsonObject timedOut =
        awaitFleet("broken", hostStatus(d.address(), "terminated"), "the provisioning timeout");
    assertEquals(
        "provisioning_timeout", instance(timedOut, d.address()).getString("termination_reason"));
    assertTrue(
        instance(timedOut, d.address()).getString("termination_reason_message").contains("2222"),
        "the last error is kept: " + timedOut);
    okNull(api.post("/api/project/main/fleets/delete", body("names", List.of("broken"))));
    awaitGone("broken");

    JsonObject badKey = apply(spec("badkey", List.of(host(d, d.port(), wrongKey))));
    assertEquals(1, badKey.getJsonArray("instances").size());
    JsonObject denied =
        awaitFleet(
            "badkey",
            f -> instance(f, d.address()).get("status_message") instanceof jakarta.json.JsonString,
            "a status message");
    assertTrue(
        instance(denied, d.address()).getString("status_message").toLowerCase().contains("auth"),
        denied.toString());
    okNull(api.post("/api/project/main/fleets/delete", body("names", List.of("badkey"))));
    awaitGone("badkey");

    // a session PATH with the tools the first steps need, but no java
    d.exec("mkdir -p nojava && ln -sf /usr/bin/uname nojava/uname");
    d.setSessionPath(d.home() + "/nojava");
    apply(spec("nojava", List.of(host(d))));
    JsonObject noJava =
        awaitFleet(
            "nojava",
            f -> {
              JsonObject i = instance(f, d.address());
              return i.get("status_message") instanceof jakarta.json.JsonString s
                  && s.getString().contains("Java");
            },
            "the Java message");
    assertTrue(
        instance(noJava, d.address()).getString("status_message").contains("Java 17"),
        noJava.toString());
    okNull(api.post("/api/project/main/fleets/delete", body("names", List.of("nojava"))));
    awaitGone("nojava");
    d.setSessionPath(null);

    apply(spec("recover", List.of(host(d))));
    awaitFleet("recover", hostStatus(d.address(), "idle"), "host d idle");
    long before = agentPid(d);
    d.exec("pkill -KILL -u \"$(id -u)\" -f 'java.*[d]stack-agent[.]jar'");
    long deadline = System.nanoTime() + READY.toNanos();
    long after = -1;
    while (System.nanoTime() < deadline && (after = agentPid(d)) <= 0) {
      Thread.sleep(300);
    }
    assertTrue(after > 0 && after != before, "a new agent runs: " + before + " -> " + after);

    d.stopSshd();
    awaitFleet("recover", f -> instance(f, d.address()).getBoolean("unreachable"), "unreachable");
    JsonObject flagged = fleet("recover");
    assertEquals(
        "idle", instance(flagged, d.address()).getString("status"), "flagged, not dropped");
    d.startSshd();
    awaitFleet(
        "recover", f -> !instance(f, d.address()).getBoolean("unreachable"), "reachable again");
    okNull(api.post("/api/project/main/fleets/delete", body("names", List.of("recover"))));
    awaitGone("recover");
    awaitNoAgent(d, "no agent left on the host");
  }

  /** An agent asked to stop exits within seconds (its shutdown closes its APIs first). */
  private static void awaitNoAgent(TestHost host, String why) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline && agentPid(host) > 0) {
      Thread.sleep(200);
    }
    assertEquals(
        -1,
        agentPid(host),
        why + "; processes: " + host.exec("ps -o pid,ppid,args -u \"$(id -u)\"").stdout());
  }

  private static void awaitGone(String name) throws InterruptedException {
    long deadline = System.nanoTime() + READY.toNanos();
    while (System.nanoTime() < deadline
        && api.post("/api/project/main/fleets/get", body("name", name)).status() == 200) {
      Thread.sleep(500);
    }
    resourceNotExists(api.post("/api/project/main/fleets/get", body("name", name)));
  }
}
