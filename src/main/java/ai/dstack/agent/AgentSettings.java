package ai.dstack.agent;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How one agent runs: where it keeps its state, where its shim API listens, and as whom jobs run.
 * Several agents can share a machine with different homes and ports.
 */
public record AgentSettings(
    Path home,
    String bindHost,
    int httpPort,
    String version,
    String userName,
    Path userHome,
    Duration killDelay,
    int pullPageEvents) {

  public static final int DEFAULT_HTTP_PORT = 10998;

  /** Settings from arguments ({@code --home DIR --port N --bind HOST}) over the environment. */
  public static AgentSettings from(String[] args, java.util.Map<String, String> env) {
    String home = env.getOrDefault("DSTACK_SHIM_HOME", null);
    String port = env.getOrDefault("DSTACK_SHIM_HTTP_PORT", null);
    String bind = env.getOrDefault("DSTACK_AGENT_BIND", "127.0.0.1");
    for (int i = 0; i < args.length; i++) {
      String value = i + 1 < args.length ? args[i + 1] : null;
      switch (args[i]) {
        case "--home" -> home = require(args[i], value);
        case "--port" -> port = require(args[i], value);
        case "--bind" -> bind = require(args[i], value);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
      i++;
    }
    Path userHome = Path.of(System.getProperty("user.home"));
    int httpPort;
    try {
      httpPort = port == null ? DEFAULT_HTTP_PORT : Integer.parseInt(port);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("the port must be a number, got " + port);
    }
    if (httpPort < 0 || httpPort > 65535) {
      throw new IllegalArgumentException("the port must be 0..65535, got " + httpPort);
    }
    return new AgentSettings(
        home == null ? userHome.resolve(".dstack-agent") : Path.of(home).toAbsolutePath(),
        bind,
        httpPort,
        AgentMain.version(),
        System.getProperty("user.name"),
        userHome,
        Duration.ofSeconds(10),
        2000);
  }

  private static String require(String option, String value) {
    if (value == null) {
      throw new IllegalArgumentException(option + " needs a value");
    }
    return value;
  }

  public AgentSettings withPullPageEvents(int events) {
    return new AgentSettings(
        home, bindHost, httpPort, version, userName, userHome, killDelay, events);
  }
}
