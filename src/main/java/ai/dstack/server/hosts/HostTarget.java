package ai.dstack.server.hosts;

import java.util.List;
import java.util.Objects;

/**
 * Where and as whom to log in to a host: the SSH part of an SSH fleet instance's {@code
 * remote_connection_info}.
 *
 * @param keys tried in order
 * @param proxy the jump host, or null to connect directly
 */
public record HostTarget(
    String hostname, int port, String user, List<SshKey> keys, ProxyJump proxy) {
  public HostTarget {
    Objects.requireNonNull(hostname, "hostname");
    Objects.requireNonNull(user, "user");
    keys = List.copyOf(keys);
  }

  /** {@code user@hostname:port}, as messages name a login. */
  public String login() {
    return user + "@" + address();
  }

  /** {@code hostname:port}. */
  public String address() {
    return hostname + ":" + port;
  }
}
