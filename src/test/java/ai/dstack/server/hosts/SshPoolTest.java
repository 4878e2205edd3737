package ai.dstack.server.hosts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.crypto.SshKeys;
import ai.dstack.server.hosts.testing.Commands;
import ai.dstack.server.hosts.testing.TestHost;
import ai.dstack.server.hosts.testing.TestHosts;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The SSH pool against real sshd processes on throwaway hosts. */
@Timeout(120)
class SshPoolTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static TestHosts hosts;
  private static TestHost host;
  private static TestHost other;

  @BeforeAll
  static void createHosts() throws Exception {
    hosts = TestHosts.create(2);
    host = hosts.host(0);
    other = hosts.host(1);
  }

  @AfterAll
  static void removeHosts() {
    if (hosts != null) {
      hosts.close();
    }
  }

  private static SshPool newPool() {
    return new SshPool(Duration.ofSeconds(5), Duration.ofSeconds(30));
  }

  @Test
  void execReturnsStdoutStderrAndExitCode() throws Exception {
    try (SshPool pool = newPool()) {
      SshPool.ExecResult result =
          pool.exec(host.target(), "echo out; echo err >&2; whoami; exit 3", TIMEOUT);
      assertEquals(3, result.exitCode());
      assertEquals("out\n" + host.user() + "\n", result.stdout());
      assertEquals("err\n", result.stderr());
      assertEquals(0, pool.exec(host.target(), "true", TIMEOUT).exitCode());
    }
  }

  @Test
  void hundredCommandsShareOneConnection() throws Exception {
    try (SshPool pool = newPool()) {
      int loginsBefore = host.acceptedLogins();
      for (int i = 0; i < 100; i++) {
        assertEquals(i + "\n", pool.exec(host.target(), "echo " + i, TIMEOUT).stdout());
      }
      assertEquals(1, host.acceptedLogins() - loginsBefore);
      assertEquals(1, pool.openSessions());
      // and sshd has one established connection from here
      String connections =
          Commands.check("ss", "-Htn", "state", "established", "dst", host.address() + ":22");
      assertEquals(1, connections.lines().filter(line -> !line.isBlank()).count(), connections);
    }
  }

  @Test
  void wrongKeyIsRefusedWithOneLineMessage() {
    SshKey wrong = newKey();
    try (SshPool pool = newPool()) {
      HostException refused =
          assertThrows(
              HostException.class, () -> pool.exec(host.target(List.of(wrong)), "true", TIMEOUT));
      assertEquals(
          "Authentication failed for " + host.user() + "@" + host.address() + ":22 with 1 key",
          refused.getMessage());
      assertEquals(0, pool.openSessions());
    }
  }

  @Test
  void wrongKeyFirstThenRightKeyLogsIn() throws Exception {
    try (SshPool pool = newPool()) {
      HostTarget target = host.target(List.of(newKey(), host.key()));
      assertEquals("ok\n", pool.exec(target, "echo ok", TIMEOUT).stdout());
    }
  }

  @Test
  void projectKeyInPkcs8FormLogsIn() throws Exception {
    SshKey project = newKey();
    assertTrue(project.privateKey().startsWith("-----BEGIN PRIVATE KEY-----"));
    assertEquals(
        0,
        host.exec("printf '%s\\n' '" + project.publicKey() + "' >> .ssh/authorized_keys")
            .exitCode());
    try (SshPool pool = newPool()) {
      assertEquals("ok\n", pool.exec(host.target(List.of(project)), "echo ok", TIMEOUT).stdout());
    }
  }

  @Test
  void closedPortIsRefusedWithOneLineMessage() {
    HostTarget closed =
        new HostTarget(host.address(), 2222, host.user(), List.of(host.key()), null);
    try (SshPool pool = newPool()) {
      HostException refused =
          assertThrows(HostException.class, () -> pool.exec(closed, "true", TIMEOUT));
      assertEquals(
          "Cannot connect to " + host.address() + ":2222: Connection refused",
          refused.getMessage());
    }
  }

  @Test
  void killedSshdFailsThenThePoolReconnectsByItself() throws Exception {
    try (SshPool pool = newPool()) {
      assertEquals(0, pool.exec(other.target(), "true", TIMEOUT).exitCode());
      other.stopSshd();
      try {
        // the pool notices by itself that the connection is gone
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (pool.openSessions() > 0 && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        assertEquals(0, pool.openSessions());
        HostException down =
            assertThrows(HostException.class, () -> pool.exec(other.target(), "true", TIMEOUT));
        assertEquals(
            "Cannot connect to " + other.address() + ":22: Connection refused", down.getMessage());
      } finally {
        other.startSshd();
      }
      assertEquals("back\n", pool.exec(other.target(), "echo back", TIMEOUT).stdout());
      assertEquals(1, pool.openSessions());
    }
  }

  @Test
  void sessionThatStopsAnsweringIsReplacedAtTheNextCheck() throws Exception {
    try (SshPool pool = new SshPool(Duration.ofSeconds(1), Duration.ofMillis(200))) {
      assertEquals(0, pool.exec(other.target(), "true", TIMEOUT).exitCode());
      int logins = other.acceptedLogins();
      other.suspendSessions();
      try {
        Thread.sleep(300); // past the check interval
        assertEquals("fresh\n", pool.exec(other.target(), "echo fresh", TIMEOUT).stdout());
        assertEquals(logins + 1, other.acceptedLogins());
      } finally {
        other.resumeSessions();
      }
      assertEquals(1, pool.openSessions());
    }
  }

  @Test
  void commandRunningTooLongTimesOut() throws Exception {
    try (SshPool pool = newPool()) {
      long start = System.nanoTime();
      HostException slow =
          assertThrows(
              HostException.class,
              () -> pool.exec(host.target(), "sleep 10", Duration.ofMillis(500)));
      assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos());
      assertEquals(
          "Command timed out after 0.5 s on " + host.address() + ": sleep", slow.getMessage());
      // the session survives a timed-out command
      assertEquals("ok\n", pool.exec(host.target(), "echo ok", TIMEOUT).stdout());
    }
  }

  @Test
  void uploadWritesTheFileAtomicallyWithItsMode() throws Exception {
    try (SshPool pool = newPool()) {
      pool.exec(host.target(), "mkdir -p uploads", TIMEOUT);
      byte[] content = "first\n".getBytes(StandardCharsets.UTF_8);
      pool.upload(host.target(), new ByteArrayInputStream(content), "uploads/file.txt", 0640);
      pool.upload(
          host.target(),
          new ByteArrayInputStream("second\n".getBytes(StandardCharsets.UTF_8)),
          "uploads/file.txt",
          0640);
      SshPool.ExecResult listing =
          pool.exec(host.target(), "stat -c '%a %n' uploads/*; cat uploads/file.txt", TIMEOUT);
      assertEquals("640 uploads/file.txt\nsecond\n", listing.stdout());
    }
  }

  @Test
  void uploadIntoMissingDirectoryFailsWithOneLineMessage() {
    try (SshPool pool = newPool()) {
      HostException failed =
          assertThrows(
              HostException.class,
              () ->
                  pool.upload(
                      host.target(), new ByteArrayInputStream(new byte[1]), "nowhere/file", 0600));
      assertTrue(
          failed.getMessage().startsWith("Cannot upload nowhere/file to " + host.address() + ": "),
          failed.getMessage());
    }
  }

  @Test
  void forwardIsCachedPerSessionAndRenewedAfterInvalidate() throws Exception {
    try (SshPool pool = newPool()) {
      int first = pool.forward(host.target(), 10998);
      assertEquals(first, pool.forward(host.target(), 10998));
      assertNotEquals(first, pool.forward(host.target(), 10999));
      pool.invalidate(host.target());
      assertEquals(0, pool.openSessions());
      int renewed = pool.forward(host.target(), 10998);
      assertTrue(renewed > 0);
      assertEquals(1, pool.openSessions());
    }
  }

  @Test
  void proxyJumpReachesAHostThroughAnother() throws Exception {
    try (SshPool pool = newPool()) {
      HostTarget behind = other.targetThrough(host);
      assertEquals(other.user() + "\n", pool.exec(behind, "whoami", TIMEOUT).stdout());
      // the host behind saw the login come from the jump host, not from here
      assertTrue(
          other
              .sshdLog()
              .contains("Accepted publickey for " + other.user() + " from " + host.address() + " "),
          other.sshdLog());
      assertEquals(2, pool.openSessions());
      assertEquals("again\n", pool.exec(behind, "echo again", TIMEOUT).stdout());
      assertEquals(2, pool.openSessions());
    }
  }

  @Test
  void unreachableProxyJumpIsNamedInTheMessage() {
    HostTarget behind =
        new HostTarget(
            other.address(),
            22,
            other.user(),
            List.of(other.key()),
            new ProxyJump(host.address(), 2222, host.user(), List.of(host.key())));
    try (SshPool pool = newPool()) {
      HostException failed =
          assertThrows(HostException.class, () -> pool.exec(behind, "true", TIMEOUT));
      assertEquals(
          "Proxy jump: Cannot connect to " + host.address() + ":2222: Connection refused",
          failed.getMessage());
      assertFalse(failed.getMessage().contains("\n"));
    }
  }

  private static SshKey newKey() {
    SshKeys.SshKeyPair pair = SshKeys.generate("other");
    return new SshKey(pair.publicKey().strip(), pair.privateKey());
  }
}
