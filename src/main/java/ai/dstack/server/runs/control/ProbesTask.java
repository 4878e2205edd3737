package ai.dstack.server.runs.control;

import ai.dstack.server.ServerContext;
import ai.dstack.server.db.Times;
import ai.dstack.server.fleets.control.FleetSpecs;
import ai.dstack.server.hosts.HostAccess;
import ai.dstack.server.hosts.HostException;
import ai.dstack.server.hosts.HostTarget;
import ai.dstack.server.instances.control.InstancePipeline;
import ai.dstack.server.instances.control.Instances;
import ai.dstack.server.instances.entity.InstanceEntity;
import ai.dstack.server.runs.entity.JobEntity;
import ai.dstack.server.runs.entity.JobStatus;
import ai.dstack.server.runs.entity.ProbeEntity;
import ai.dstack.server.workers.ScheduledTask;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedThreadFactory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Upstream's {@code process_probes}: due probes of running replicas are claimed (their next due
 * time pushed past the longest they can take, so a crashed or parallel server does not run them
 * twice), sent to the replica's port through the host's session on a small pool, and their success
 * streak counted: any 2xx adds one, anything else starts it over.
 */
@ApplicationScoped
public class ProbesTask implements ScheduledTask {
  private static final Logger log = Logger.getLogger(ProbesTask.class.getName());
  private static final int BATCH = 100;
  private static final int THREADS = 8;

  /** Beyond the probe's own timeout: connecting to the host and writing the result. */
  private static final Duration OVERHEAD = Duration.ofMinutes(1);

  @Resource(lookup = "java:comp/DefaultManagedThreadFactory")
  private ManagedThreadFactory threads;

  @Inject private ServerContext server;
  @Inject private HostAccess hostAccess;

  private ThreadPoolExecutor pool;

  /** A claimed probe: where it goes and what it sends. */
  private record Claimed(
      String id, String name, HostTarget host, int port, Map<String, Object> spec) {}

  @Override
  public String name() {
    return "process_probes";
  }

  @Override
  public Duration period() {
    return Duration.ofSeconds(1);
  }

  @Override
  public void run() {
    for (Claimed probe : server.database().tx(this::claim)) {
      executor().execute(() -> execute(probe));
    }
  }

  private synchronized ThreadPoolExecutor executor() {
    if (pool == null) {
      pool =
          new ThreadPoolExecutor(
              THREADS, THREADS, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), threads);
      pool.allowCoreThreadTimeOut(true);
    }
    return pool;
  }

  @PreDestroy
  synchronized void stop() {
    if (pool != null) {
      pool.shutdownNow();
      pool = null;
    }
  }

  private List<Claimed> claim(EntityManager em) {
    Instant now = Times.now();
    List<ProbeEntity> due =
        em.createQuery(
                "SELECT p FROM ProbeEntity p WHERE p.active = TRUE AND p.due <= :now"
                    + " ORDER BY p.due",
                ProbeEntity.class)
            .setParameter("now", now)
            .setMaxResults(BATCH)
            .getResultList();
    List<Claimed> claimed = new ArrayList<>();
    for (ProbeEntity probe : due) {
      JobEntity job = em.find(JobEntity.class, probe.getJobId());
      List<Map<String, Object>> specs = job == null ? List.of() : Probes.specs(job);
      Map<String, Object> spec =
          probe.getProbeNum() < specs.size() ? specs.get(probe.getProbeNum()) : null;
      HostTarget host = job == null ? null : host(em, job);
      Object port = job == null ? null : FleetSpecs.parse(job.getJobSpecData()).get("service_port");
      boolean done =
          spec != null
              && Boolean.TRUE.equals(spec.get("until_ready"))
              && probe.getSuccessStreak() >= Probes.readyAfter(spec);
      if (job == null
          || job.getStatus() != JobStatus.RUNNING
          || spec == null
          || host == null
          || !(port instanceof Number)
          || done) {
        em.createQuery("UPDATE ProbeEntity p SET p.active = FALSE WHERE p.id = :id")
            .setParameter("id", probe.getId())
            .executeUpdate();
        continue;
      }
      Instant until = now.plusSeconds(seconds(spec.get("timeout"), JobSpecs.DEFAULT_PROBE_TIMEOUT));
      int won =
          em.createQuery(
                  "UPDATE ProbeEntity p SET p.due = :until WHERE p.id = :id AND p.due = :due")
              .setParameter("until", until.plus(OVERHEAD))
              .setParameter("id", probe.getId())
              .setParameter("due", probe.getDue())
              .executeUpdate();
      if (won == 1) {
        claimed.add(
            new Claimed(probe.getId(), job.getJobName(), host, ((Number) port).intValue(), spec));
      }
    }
    return claimed;
  }

  private static HostTarget host(EntityManager em, JobEntity job) {
    if (job.getInstanceId() == null) {
      return null;
    }
    Map<String, Object> connection =
        Instances.connection(em.find(InstanceEntity.class, job.getInstanceId()));
    return connection == null ? null : InstancePipeline.target(connection);
  }

  private void execute(Claimed probe) {
    boolean success = succeeds(probe);
    Instant next =
        Times.now()
            .plusSeconds(seconds(probe.spec().get("interval"), JobSpecs.DEFAULT_PROBE_INTERVAL));
    server
        .database()
        .tx(
            em ->
                em.createQuery(
                        success
                            ? "UPDATE ProbeEntity p SET p.successStreak = p.successStreak + 1,"
                                + " p.due = :next WHERE p.id = :id"
                            : "UPDATE ProbeEntity p SET p.successStreak = 0, p.due = :next"
                                + " WHERE p.id = :id")
                    .setParameter("next", next)
                    .setParameter("id", probe.id())
                    .executeUpdate());
  }

  @SuppressWarnings("unchecked")
  private boolean succeeds(Claimed probe) {
    Map<String, Object> spec = probe.spec();
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    if (spec.get("headers") instanceof List<?> given) {
      for (Object item : given) {
        Map<String, Object> header = (Map<String, Object>) item;
        headers.add(Map.entry((String) header.get("name"), (String) header.get("value")));
      }
    }
    byte[] body =
        spec.get("body") instanceof String text ? text.getBytes(StandardCharsets.UTF_8) : null;
    try {
      hostAccess
          .agent()
          .send(
              probe.host(),
              probe.port(),
              ((String) spec.get("method")).toUpperCase(Locale.ROOT),
              (String) spec.get("url"),
              body,
              headers,
              Duration.ofSeconds(seconds(spec.get("timeout"), JobSpecs.DEFAULT_PROBE_TIMEOUT)));
      return true;
    } catch (HostException e) {
      log.fine(() -> "Probe of " + probe.name() + " failed: " + e.getMessage());
      return e.httpStatus() > 200 && e.httpStatus() < 300;
    } catch (IllegalArgumentException e) {
      // a header the HTTP client refuses to send (Host, Content-Length, ...)
      log.fine(() -> "Probe of " + probe.name() + " cannot be sent: " + e.getMessage());
      return false;
    }
  }

  private static long seconds(Object value, long fallback) {
    return value instanceof Number n ? n.longValue() : fallback;
  }
}
