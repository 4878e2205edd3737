package ai.dstack.server.hosts;

import java.util.List;
import java.util.Objects;

/** The SSH host a fleet's hosts are reached through ({@code proxy_jump} of an SSH fleet). */
public record ProxyJump(String hostname, int port, String user, List<SshKey> keys) {
  public ProxyJump {
    Objects.requireNonNull(hostname, "hostname");
    Objects.requireNonNull(user, "user");
    keys = List.copyOf(keys);
  }

  HostTarget asTarget() {
    return new HostTarget(hostname, port, user, keys, null);
  }
}
