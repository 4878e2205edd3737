package ai.dstack.server.instances.control;

import ai.dstack.server.db.Times;
import ai.dstack.server.events.control.Events;
import ai.dstack.server.fleets.control.Fleets;
import ai.dstack.server.hosts.HostAccess;
import ai.dstack.server.hosts.HostDeployer;
import ai.dstack.server.hosts.HostException;
import ai.dstack.server.hosts.HostTarget;
import ai.dstack.server.hosts.ProxyJump;
import ai.dstack.server.hosts.SshKey;
import ai.dstack.server.instances.entity.InstanceEntity;
import ai.dstack.server.instances.entity.InstanceStatus;
import ai.dstack.server.projects.entity.ProjectEntity;
import ai.dstack.server.workers.Lease;
import ai.dstack.server.workers.Pipeline;
import ai.dstack.server.workers.PipelineSettings;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * SSH-fleet hosts (SERVER.md §7.1, API.md §4.3): deploys the agent on {@code pending} hosts
 * (retried with back-off until the provisioning timeout), health-checks {@code idle}/{@code busy}
 * ones (flagging them {@code unreachable}, restarting a dead agent, never dropping them), and stops
 * the agent of {@code terminating} ones.
 */
@ApplicationScoped
public class InstancePipeline implements Pipeline<InstancePipeline.Item> {
  private static final Logger LOG = Logger.getLogger(InstancePipeline.class.getName());

  @Inject private HostAccess hosts;
  @Inject private Events events;

  /** What processing one instance needs, read in the load transaction. */
  public record Item(
      String id,
      String name,
      InstanceStatus status,
      Instant createdAt,
      int retries,
      Instant nextAttemptAt,
      boolean unreachable,
      String statusMessage,
      Map<String, Object> connection,
      String projectPublicKey) {}

  @Override
  public String name() {
    return Fleets.INSTANCE_PIPELINE;
  }

  @Override
  public String table() {
    return "instances";
  }

  @Override
  public String eligible() {
    return "status IN ('PENDING', 'PROVISIONING', 'IDLE', 'BUSY', 'TERMINATING')";
  }

  @Override
  public PipelineSettings defaults() {
    return PipelineSettings.of(20, Duration.ofSeconds(10), Duration.ofMinutes(2));
  }

  @Override
  public Item load(EntityManager em, Lease lease) {
    InstanceEntity instance = em.find(InstanceEntity.class, lease.id());
    if (instance == null || instance.isDeleted()) {
      return null;
    }
    ProjectEntity project = em.find(ProjectEntity.class, instance.getProjectId());
    Map<String, Object> connection = Instances.connection(instance);
    return new Item(
        instance.getId(),
        instance.getName(),
        instance.getStatus(),
        instance.getCreatedAt(),
        instance.getRetries(),
        instance.getNextAttemptAt(),
        instance.isUnreachable(),
        instance.getStatusMessage(),
        connection,
        project == null ? null : project.getSshPublicKey());
  }

  @Override
  public Apply process(Item item, Lease lease) {
    if (item.connection() == null) {
      return update(
          item, i -> i.setStatusMessage("The host's connection details cannot be decrypted"));
    }
    return switch (item.status()) {
      case PENDING, PROVISIONING -> provision(item);
      case IDLE, BUSY -> check(item);
      case TERMINATING -> release(item);
      case TERMINATED -> Apply.NOTHING;
    };
  }

  private Apply provision(Item item) {
    Instant now = Times.now();
    Duration timeout = hosts.settings().provisioningTimeout();
    if (now.isAfter(item.createdAt().plus(timeout))) {
      String last = item.statusMessage() == null ? "" : " (" + item.statusMessage() + ")";
      LOG.info("Instance " + item.name() + " was not deployed within " + timeout + last);
      return update(
          item,
          i ->
              i.terminate(
                  "provisioning_timeout",
                  "Host was not deployed within " + timeout.toSeconds() + " seconds" + last,
                  now));
    }
    if (item.nextAttemptAt() != null && now.isBefore(item.nextAttemptAt())) {
      return Apply.NOTHING;
    }
    HostTarget target = target(item.connection());
    try {
      HostDeployer.Deployment deployment =
          hosts.deployer().deploy(target, authorizedKeys(item), deploySettings(item));
      HostFacts.Facts facts =
          HostFacts.of(
              deployment.hostInfoJson(), deployment.arch(), item.connection(), item.name());
      LOG.info(
          "Instance "
              + item.name()
              + " ("
              + target.login()
              + ") is ready: agent "
              + deployment.agentVersion()
              + " supervised by "
              + deployment.supervisor());
      return update(
          item,
          i -> {
            i.setStatus(InstanceStatus.IDLE);
            i.setInstanceType(facts.instanceType());
            i.setJobProvisioningData(facts.jobProvisioningData());
            i.setTotalBlocks(facts.totalBlocks());
            i.setStatusMessage(null);
            i.setUnreachable(false);
            i.setRetries(0);
            i.setNextAttemptAt(null);
          });
    } catch (HostFacts.Unusable e) {
      LOG.info("Instance " + item.name() + " cannot be used: " + e.getMessage());
      return update(item, i -> i.terminate("error", e.getMessage(), now));
    } catch (HostException e) {
      int retries = item.retries() + 1;
      long delay =
          Math.min(1L << Math.min(retries, 20), hosts.settings().retryMaxDelay().toSeconds());
      if (!e.getMessage().equals(item.statusMessage())) {
        LOG.info("Instance " + item.name() + ": " + e.getMessage() + " (will retry)");
      }
      return update(
          item,
          i -> {
            i.setStatusMessage(e.getMessage());
            i.setRetries(retries);
            i.setNextAttemptAt(now.plusSeconds(Math.max(1, delay)));
          });
    }
  }

  private Apply check(Item item) {
    HostTarget target = target(item.connection());
    if (hosts.deployer().agentHealthy(target)) {
      if (!item.unreachable() && item.statusMessage() == null) {
        return Apply.NOTHING;
      }
      LOG.info("Instance " + item.name() + " is reachable again");
      return update(
          item,
          i -> {
            i.setUnreachable(false);
            i.setStatusMessage(null);
          });
    }
    try {
      hosts.deployer().restartAgent(target, deploySettings(item));
      LOG.info("Instance " + item.name() + ": the agent was not answering and was restarted");
      return update(
          item,
          i -> {
            i.setUnreachable(false);
            i.setStatusMessage(null);
          });
    } catch (HostException e) {
      if (!item.unreachable()) {
        LOG.info("Instance " + item.name() + " is unreachable: " + e.getMessage());
      }
      return update(
          item,
          i -> {
            i.setUnreachable(true);
            i.setStatusMessage(e.getMessage());
          });
    }
  }

  /** A removed host: its agent is stopped (best effort: it may be gone), the row kept deleted. */
  private Apply release(Item item) {
    HostTarget target = target(item.connection());
    try {
      hosts.deployer().stopAgent(target, deploySettings(item));
    } catch (HostException e) {
      LOG.info("Instance " + item.name() + ": the agent could not be stopped: " + e.getMessage());
    }
    hosts.pool().invalidate(target);
    Instant now = Times.now();
    LOG.info("Instance " + item.name() + " terminated");
    return update(
        item,
        i -> {
          i.terminate(i.getTerminationReason(), i.getTerminationReasonMessage(), now);
          i.markDeleted(now);
        });
  }

  private HostDeployer.Settings deploySettings(Item item) {
    Map<String, String> env = new LinkedHashMap<>();
    Object fleetEnv = item.connection().get("env");
    if (fleetEnv instanceof Map<?, ?> map) {
      map.forEach((k, v) -> env.put(String.valueOf(k), String.valueOf(v)));
    }
    return hosts.deploySettings(env);
  }

  @SuppressWarnings("unchecked")
  private static List<String> authorizedKeys(Item item) {
    List<String> keys = new ArrayList<>();
    for (Object key : (List<Object>) item.connection().getOrDefault("ssh_keys", List.of())) {
      Object publicKey = ((Map<String, Object>) key).get("public");
      if (publicKey != null) {
        keys.add(publicKey.toString());
      }
    }
    if (item.projectPublicKey() != null) {
      keys.add(item.projectPublicKey().strip());
    }
    return keys;
  }

  /** How to log in to the instance's host, from its {@code remote_connection_info}. */
  @SuppressWarnings("unchecked")
  public static HostTarget target(Map<String, Object> connection) {
    ProxyJump proxy = null;
    if (connection.get("ssh_proxy") instanceof Map<?, ?> jump) {
      proxy =
          new ProxyJump(
              String.valueOf(jump.get("hostname")),
              ((Number) jump.get("port")).intValue(),
              String.valueOf(jump.get("username")),
              keys((List<Object>) connection.get("ssh_proxy_keys")));
    }
    return new HostTarget(
        (String) connection.get("host"),
        ((Number) connection.get("port")).intValue(),
        (String) connection.get("ssh_user"),
        keys((List<Object>) connection.get("ssh_keys")),
        proxy);
  }

  @SuppressWarnings("unchecked")
  private static List<SshKey> keys(List<Object> entries) {
    List<SshKey> keys = new ArrayList<>();
    if (entries != null) {
      for (Object entry : entries) {
        Map<String, Object> key = (Map<String, Object>) entry;
        keys.add(new SshKey((String) key.get("public"), (String) key.get("private")));
      }
    }
    return keys;
  }

  private interface Change {
    void apply(InstanceEntity instance);
  }

  /**
   * The change, unless the API moved the instance on meanwhile (a delete during a deploy): then the
   * next round works from its new status instead of overwriting it.
   */
  private Apply update(Item item, Change change) {
    return em -> {
      InstanceEntity instance = em.find(InstanceEntity.class, item.id());
      if (instance != null && instance.getStatus() == item.status()) {
        boolean wasUnreachable = instance.isUnreachable();
        change.apply(instance);
        InstanceEvents.statusChanged(events, em, instance, item.status(), null);
        InstanceEvents.reachabilityChanged(events, em, instance, item.status(), wasUnreachable);
      }
    };
  }
}
