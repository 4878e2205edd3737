package ai.dstack.server.hosts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The deployer's parsing and the text it writes to hosts, without a host. */
class HostDeployerRulesTest {
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "openjdk version \"17.0.15\" 2025-04-15|17",
        "java version \"1.8.0_381\"|8",
        "openjdk version \"21\" 2023-09-19|21",
        "openjdk version \"11.0.22\" 2024-01-16 LTS|11",
        "Picked up JAVA_TOOL_OPTIONS: -Xmx1g openjdk version \"22-ea\" 2024-03-19|22",
        "java version \"9\"|9",
        "sh: 1: java: not found|-1",
      })
  void javaMajorReadsTheVersionLineOfEveryVendor(String output, int major) {
    assertEquals(major, HostDeployer.javaMajor(output));
  }

  @Test
  void keyIdentityIsTypeAndKeyWithoutOptionsOrComment() {
    assertEquals(
        "ssh-ed25519 AAAAC3Nz", HostDeployer.keyIdentity("ssh-ed25519 AAAAC3Nz user@host"));
    assertEquals(
        "ssh-rsa AAAAB3Nza",
        HostDeployer.keyIdentity("command=\"echo hi\",no-pty ssh-rsa AAAAB3Nza a comment"));
    assertEquals(
        "ecdsa-sha2-nistp256 AAAAE2Vj", HostDeployer.keyIdentity("  ecdsa-sha2-nistp256 AAAAE2Vj"));
    assertNull(HostDeployer.keyIdentity("# ssh-rsa comment"));
    assertNull(HostDeployer.keyIdentity(""));
  }

  @Test
  void envFileIsReadBackLiterallyBySh(@TempDir Path dir) throws Exception {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("QUOTE", "it's \"quoted\"");
    env.put("DOLLAR", "$HOME ${PATH} $(id) `id`");
    env.put("LINES", "one\ntwo\n");
    env.put("BACKSLASH", "a\\nb\\");
    env.put("EMPTY", "");
    env.put("UNICODE", "naïve ✓");
    HostDeployer.Settings settings =
        new HostDeployer.Settings(
            Path.of("agent.jar"), null, 10998, env, Duration.ofSeconds(1), Duration.ofSeconds(1));
    assertEquals(".dstack-agent", settings.agentHome());
    Path file = dir.resolve("agent.env");
    Files.writeString(
        file, HostDeployer.envFile(settings, "/home/u/.dstack-agent", "/usr/bin/java"));
    for (Map.Entry<String, String> entry : env.entrySet()) {
      assertEquals(entry.getValue(), sourced(file, entry.getKey()), entry.getKey());
    }
    assertEquals("/home/u/.dstack-agent", sourced(file, "DSTACK_SHIM_HOME"));
    assertEquals("10998", sourced(file, "DSTACK_SHIM_HTTP_PORT"));
    assertEquals("/usr/bin/java", sourced(file, "DSTACK_AGENT_JAVA"));
  }

  @Test
  void envVariableWithAnInvalidNameIsRefused() {
    HostDeployer.Settings settings =
        new HostDeployer.Settings(
            Path.of("agent.jar"),
            ".dstack-agent",
            10998,
            Map.of("BAD NAME", "x"),
            Duration.ofSeconds(1),
            Duration.ofSeconds(1));
    HostException refused =
        assertThrows(HostException.class, () -> HostDeployer.envFile(settings, "/h", "java"));
    assertEquals("Invalid environment variable for the agent: BAD NAME", refused.getMessage());
  }

  @Test
  void agentScriptPassesShellcheck(@TempDir Path dir) throws Exception {
    assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/shellcheck")), "shellcheck is not installed here");
    Path script = dir.resolve("dstack-agent.sh");
    try (InputStream in = HostDeployer.class.getResourceAsStream("dstack-agent.sh")) {
      Files.write(script, in.readAllBytes());
    }
    Process check =
        new ProcessBuilder("shellcheck", "-s", "sh", script.toString())
            .redirectErrorStream(true)
            .start();
    String output = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(check.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, check.exitValue(), output);
  }

  @Test
  void systemdUnitsRunTheScriptAndRestartItForever() {
    String system = AgentSupervisor.SYSTEMD_SYSTEM.unitText("/root/.dstack-agent", 10998);
    assertTrue(system.contains("\nExecStart=/bin/sh /root/.dstack-agent/dstack-agent.sh run\n"));
    assertTrue(system.contains("\nRestart=always\n"));
    assertTrue(system.contains("\nStartLimitIntervalSec=0\n"));
    assertTrue(system.contains("\nKillMode=process\n"));
    assertTrue(system.contains("\nWantedBy=multi-user.target\n"));
    assertEquals(
        "/etc/systemd/system/dstack-agent-10998.service",
        AgentSupervisor.SYSTEMD_SYSTEM.unitPath("/root", 10998));
    String user = AgentSupervisor.SYSTEMD_USER.unitText("/home/u/.dstack-agent", 10998);
    assertTrue(user.contains("\nWantedBy=default.target\n"));
    assertEquals(
        "/home/u/.config/systemd/user/dstack-agent-10998.service",
        AgentSupervisor.SYSTEMD_USER.unitPath("/home/u", 10998));
    assertEquals(
        "systemctl --user daemon-reload && systemctl --user enable --quiet dstack-agent-10998.service"
            + " && systemctl --user restart dstack-agent-10998.service",
        AgentSupervisor.SYSTEMD_USER.startCommand("/home/u/.dstack-agent", 10998));
  }

  @Test
  void messagesAreOneLine() {
    assertEquals("a b c", new HostException("a\n b\r\n\tc\n").getMessage());
    assertEquals(500, new HostException("x".repeat(2000)).getMessage().length());
  }

  private static String sourced(Path file, String name) throws Exception {
    Process sh =
        new ProcessBuilder(
                List.of(
                    "sh",
                    "-c",
                    "set -a; . \"$1\"; printf '%s' \"$(printenv " + name + "; echo .)\"",
                    "sh",
                    file.toString()))
            .start();
    String value = new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(sh.waitFor(10, TimeUnit.SECONDS));
    // printenv adds a newline; the dot kept the value's own trailing newlines from $(…)
    return value.substring(0, value.length() - 2);
  }
}
