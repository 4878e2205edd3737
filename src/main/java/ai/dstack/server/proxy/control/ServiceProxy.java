package ai.dstack.server.proxy.control;

import ai.dstack.server.ServerContext;
import ai.dstack.server.api.ApiException;
import ai.dstack.server.crypto.Hashes;
import ai.dstack.server.hosts.HostAccess;
import ai.dstack.server.hosts.HostException;
import ai.dstack.server.projects.control.ProjectAccess;
import ai.dstack.server.projects.control.Projects;
import ai.dstack.server.proxy.control.ServiceReplicas.Replica;
import ai.dstack.server.proxy.control.ServiceReplicas.Service;
import ai.dstack.server.users.control.Users;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The in-server service proxy (no gateway): finds the service and its ready replicas, applies
 * upstream's rules (404 while no replica is ready, a project member's token unless {@code auth:
 * false}), counts the request and sends it to the replicas in turn, each over its host's pooled SSH
 * session.
 */
@ApplicationScoped
public class ServiceProxy {
  private static final Logger LOG = Logger.getLogger(ServiceProxy.class.getName());

  /** Lookups are this fresh at most: the proxy does not read the database per request. */
  private static final long CACHE_NANOS = 1_000_000_000L;

  private static final int CACHE_LIMIT = 10_000;

  /** The service to forward to and its replicas in the order to try them. */
  public record Route(String project, String run, Service service, List<Replica> replicas) {}

  @Inject private ServerContext server;
  @Inject private ServiceReplicas services;
  @Inject private ServiceStats stats;
  @Inject private Users users;
  @Inject private Projects projects;
  @Inject private HostAccess hosts;

  private final Expiring<Service> serviceCache = new Expiring<>();
  private final Expiring<Boolean> memberCache = new Expiring<>();
  private final Map<String, AtomicInteger> turns = new ConcurrentHashMap<>();

  /**
   * Where a request goes, or why it does not.
   *
   * @param token the Bearer credentials sent, or null
   * @throws ProxyException 404 for an unknown run, one that is not a service or has no ready
   *     replica; 403 when the service needs a project member's token and this is not one
   */
  public Route route(String projectName, String runName, String token) {
    Service service =
        serviceCache.get(projectName + "/" + runName, () -> services.find(projectName, runName));
    if (service == null || service.replicas().isEmpty()) {
      throw ProxyException.notFound(projectName, runName);
    }
    if (service.auth() && (token == null || !member(projectName, token))) {
      throw ProxyException.unauthorized(projectName);
    }
    stats.record(service.runId());
    List<Replica> replicas = service.replicas();
    if (turns.size() > CACHE_LIMIT) {
      turns.clear();
    }
    int first =
        Math.floorMod(
            turns.computeIfAbsent(service.runId(), id -> new AtomicInteger()).getAndIncrement(),
            replicas.size());
    List<Replica> order = new ArrayList<>(replicas.size());
    for (int i = 0; i < replicas.size(); i++) {
      order.add(replicas.get((first + i) % replicas.size()));
    }
    return new Route(projectName, runName, service, order);
  }

  /**
   * Sends the request to the route's replicas in turn until one answers; a replica whose host or
   * port cannot be reached is skipped (once each) while the request can still be sent again.
   *
   * @throws ProxyException 502 when no replica answered, 504 when one did not in time
   */
  public void forward(Route route, ReplicaExchange.Request request, ReplicaExchange.Sink sink)
      throws IOException {
    ReplicaExchange exchange = new ReplicaExchange(server.settings().runs().serviceClientTimeout());
    Set<String> tried = new HashSet<>();
    if (tryReplicas(route.replicas(), tried, exchange, request, sink)) {
      return;
    }
    // the replica set may have changed within the cache's second (a rolling update just replaced
    // the one tried): look once more, at the stored state
    Service fresh =
        serviceCache.reload(
            route.project() + "/" + route.run(), () -> services.find(route.project(), route.run()));
    if (fresh != null && tryReplicas(fresh.replicas(), tried, exchange, request, sink)) {
      return;
    }
    throw ProxyException.badGateway();
  }

  private boolean tryReplicas(
      List<Replica> replicas,
      Set<String> tried,
      ReplicaExchange exchange,
      ReplicaExchange.Request request,
      ReplicaExchange.Sink sink)
      throws IOException {
    for (Replica replica : replicas) {
      if (!request.body().replayable()) {
        return false;
      }
      if (!tried.add(replica.jobId())) {
        continue;
      }
      int port;
      try {
        port = hosts.pool().forward(replica.host(), replica.port());
      } catch (HostException e) {
        LOG.info("Service replica " + replica.jobId() + " cannot be reached: " + e.getMessage());
        continue;
      }
      try {
        exchange.send(port, request, sink);
        return true;
      } catch (ReplicaExchange.Unreachable e) {
        LOG.info(
            "Service replica "
                + replica.jobId()
                + " did not answer on port "
                + replica.port()
                + ": "
                + e.getMessage());
      }
    }
    return false;
  }

  /** Upstream's rule: an active user's token, a global admin or a member of the project. */
  private boolean member(String projectName, String token) {
    return memberCache.get(
        Hashes.sha256Hex(token) + "/" + projectName,
        () -> {
          try {
            projects.access(users.authenticate(token), projectName, ProjectAccess.MEMBER);
            return true;
          } catch (ApiException e) {
            return false;
          }
        });
  }

  /** A map whose entries are loaded again after {@link #CACHE_NANOS}; null values are kept too. */
  private static final class Expiring<V> {
    private record Entry<V>(V value, long loadedAt) {}

    private final Map<String, Entry<V>> entries = new ConcurrentHashMap<>();

    V get(String key, Supplier<V> load) {
      long now = System.nanoTime();
      Entry<V> entry = entries.get(key);
      if (entry != null && now - entry.loadedAt() < CACHE_NANOS) {
        return entry.value();
      }
      if (entries.size() >= CACHE_LIMIT) {
        entries.values().removeIf(e -> now - e.loadedAt() >= CACHE_NANOS);
        if (entries.size() >= CACHE_LIMIT) {
          entries.clear();
        }
      }
      return reload(key, load);
    }

    /** Loads the value now, whatever the cached one's age. */
    V reload(String key, Supplier<V> load) {
      V value = load.get();
      entries.put(key, new Entry<>(value, System.nanoTime()));
      return value;
    }
  }
}
