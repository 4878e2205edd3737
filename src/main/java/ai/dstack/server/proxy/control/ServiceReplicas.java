package ai.dstack.server.proxy.control;

import ai.dstack.server.hosts.HostTarget;
import java.util.List;

/**
 * What the proxy needs to know about a service run: whether it exists, its {@code auth} and {@code
 * strip_prefix}, and which replicas take requests. The runs code owns the replicas' lifecycle
 * (registration, probes); the proxy only reads this, through a short cache.
 */
public interface ServiceReplicas {
  /**
   * The run of that name in the project if it is a service, with its ready replicas (possibly
   * none); null for an unknown run or one that is not a service.
   */
  Service find(String projectName, String runName);

  /**
   * @param runId the run's id (request statistics are kept per run)
   * @param auth whether callers need a project member's token ({@code auth}, default true)
   * @param stripPrefix whether replicas get paths without {@code /proxy/services/<p>/<run>}
   * @param replicas ready replicas, in a stable order (round-robin goes through them)
   */
  record Service(String runId, boolean auth, boolean stripPrefix, List<Replica> replicas) {
    public Service {
      replicas = List.copyOf(replicas);
    }
  }

  /**
   * A replica that takes requests: its app listens on {@code 127.0.0.1:port} of the host.
   *
   * @param jobId the replica's job (job number 0 of the replica)
   */
  record Replica(String jobId, HostTarget host, int port) {}
}
