package ai.dstack.server.settings;

import java.time.Duration;
import java.util.Map;

/**
 * How the server reaches SSH-fleet hosts and how patient it is with them.
 *
 * @param provisioningTimeout a host not deployed this long after it was added ends terminated
 *     ({@code DSTACK_SERVER_INSTANCE_PROVISIONING_TIMEOUT}, seconds, default 600)
 * @param connectTimeout SSH connect timeout ({@code DSTACK_SERVER_SSH_CONNECT_TIMEOUT}, default 10)
 * @param retryMaxDelay the longest pause between attempts on a failing host ({@code
 *     DSTACK_SERVER_INSTANCE_RETRY_MAX_DELAY}, default 60)
 * @param agentPort where the agent listens on each host ({@code DSTACK_SERVER_AGENT_PORT}, 10998)
 */
public record HostSettings(
    Duration provisioningTimeout, Duration connectTimeout, Duration retryMaxDelay, int agentPort) {

  static HostSettings from(Map<String, String> env) {
    return new HostSettings(
        seconds(env, "DSTACK_SERVER_INSTANCE_PROVISIONING_TIMEOUT", 600),
        seconds(env, "DSTACK_SERVER_SSH_CONNECT_TIMEOUT", 10),
        seconds(env, "DSTACK_SERVER_INSTANCE_RETRY_MAX_DELAY", 60),
        port(env.get("DSTACK_SERVER_AGENT_PORT")));
  }

  private static Duration seconds(Map<String, String> env, String name, double fallback) {
    String value = env.get(name);
    double parsed;
    try {
      parsed = value == null || value.isBlank() ? fallback : Double.parseDouble(value.strip());
    } catch (NumberFormatException e) {
      parsed = -1;
    }
    if (!(parsed > 0)) {
      throw new InvalidSettingException(
          name + " must be a positive number of seconds, got '" + value + "'");
    }
    return Duration.ofMillis((long) (parsed * 1000));
  }

  private static int port(String value) {
    if (value == null || value.isBlank()) {
      return 10998;
    }
    try {
      int port = Integer.parseInt(value.strip());
      if (port > 0 && port < 65536) {
        return port;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new InvalidSettingException(
        "DSTACK_SERVER_AGENT_PORT must be a port number, got '" + value + "'");
  }
}
