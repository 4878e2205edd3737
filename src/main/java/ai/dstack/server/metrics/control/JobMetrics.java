package ai.dstack.server.metrics.control;

import ai.dstack.server.ServerContext;
import ai.dstack.server.api.ApiException;
import ai.dstack.server.config.schema.PlainTree;
import ai.dstack.server.metrics.entity.JobMetricsPointEntity;
import ai.dstack.server.projects.entity.ProjectEntity;
import ai.dstack.server.settings.RunSettings;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Query;
import jakarta.persistence.TypedQuery;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Job hardware metrics (API.md §2.7, SERVER.md §6.3): points sampled from the runner, the series
 * the API computes from them, and their retention.
 */
@ApplicationScoped
public class JobMetrics {
  @Inject private ServerContext server;

  /** The job a metrics request names, with what its resources are read from. */
  record Job(String id, String jobProvisioningData, String jobRuntimeData) {}

  /**
   * Stores one sample: {@code runnerMetrics} is the runner's {@code GET /api/metrics} body as a
   * plain tree ({@code timestamp_micro, cpu_usage_micro, memory_usage_bytes,
   * memory_working_set_bytes, gpus: [{gpu_memory_usage_bytes, gpu_util_percent}]}).
   */
  public void record(EntityManager em, String jobId, Map<String, Object> runnerMetrics) {
    List<Object> memory = new ArrayList<>();
    List<Object> util = new ArrayList<>();
    if (runnerMetrics.get("gpus") instanceof List<?> gpus) {
      for (Object gpu : gpus) {
        Map<?, ?> values = (Map<?, ?>) gpu;
        memory.add(values.get("gpu_memory_usage_bytes"));
        util.add(values.get("gpu_util_percent"));
      }
    }
    em.persist(
        new JobMetricsPointEntity(
            UUID.randomUUID().toString(),
            jobId,
            number(runnerMetrics, "timestamp_micro"),
            number(runnerMetrics, "cpu_usage_micro"),
            number(runnerMetrics, "memory_usage_bytes"),
            number(runnerMetrics, "memory_working_set_bytes"),
            PlainTree.toJson(memory).toString(),
            PlainTree.toJson(util).toString()));
  }

  private static long number(Map<String, Object> metrics, String field) {
    return ((Number) metrics.get(field)).longValue();
  }

  /** Whether the job has a point newer than {@code timestampMicro} (another replica sampled it). */
  public boolean hasPointSince(EntityManager em, String jobId, long timestampMicro) {
    return !em.createQuery(
            "SELECT p.id FROM JobMetricsPointEntity p"
                + " WHERE p.jobId = :job AND p.timestampMicro > :since",
            String.class)
        .setParameter("job", jobId)
        .setParameter("since", timestampMicro)
        .setMaxResults(1)
        .getResultList()
        .isEmpty();
  }

  /**
   * {@code GET metrics/job/{run_name}}: the series of the latest submission of the job, newest
   * first. At most {@code limit} values (one more point is read for the CPU percentage); {@code
   * after} is inclusive for the same reason, {@code before} exclusive.
   */
  public List<MetricsSeries.Metric> get(
      ProjectEntity project,
      String runName,
      String runId,
      int replicaNum,
      int jobNum,
      int limit,
      Instant after,
      Instant before) {
    return server
        .database()
        .read(
            em -> {
              Job job = findJob(em, project.getId(), runName, runId, replicaNum, jobNum);
              if (job == null) {
                throw ApiException.resourceNotExists("Found no job with given parameters");
              }
              List<JobMetricsPointEntity> points = points(em, job.id(), limit, after, before);
              return MetricsSeries.compute(
                  points, MetricsSeries.resources(job.jobRuntimeData(), job.jobProvisioningData()));
            });
  }

  private static List<JobMetricsPointEntity> points(
      EntityManager em, String jobId, int limit, Instant after, Instant before) {
    if (limit + 1L <= 0) {
      return List.of();
    }
    TypedQuery<JobMetricsPointEntity> query =
        em.createQuery(
            "SELECT p FROM JobMetricsPointEntity p WHERE p.jobId = :job"
                + (after == null ? "" : " AND p.timestampMicro >= :after")
                + (before == null ? "" : " AND p.timestampMicro < :before")
                + " ORDER BY p.timestampMicro DESC",
            JobMetricsPointEntity.class);
    query.setParameter("job", jobId);
    if (after != null) {
      query.setParameter("after", MetricsSeries.micros(after));
    }
    if (before != null) {
      query.setParameter("before", MetricsSeries.micros(before));
    }
    return query.setMaxResults((int) Math.min(Integer.MAX_VALUE, limit + 1L)).getResultList();
  }

  /**
   * The one place that reads runs and jobs here (their entities belong to the runs capability): the
   * named run (not deleted, unless asked for by id) and its latest submission of the job.
   */
  static Job findJob(
      EntityManager em,
      String projectId,
      String runName,
      String runId,
      int replicaNum,
      int jobNum) {
    Query query =
        em.createNativeQuery(
            "SELECT j.id, j.job_provisioning_data, j.job_runtime_data"
                + " FROM jobs j JOIN runs r ON r.id = j.run_id"
                + " WHERE r.project_id = ?1 AND r.run_name = ?2"
                + " AND j.replica_num = ?3 AND j.job_num = ?4"
                + (runId == null ? " AND r.deleted = ?5" : " AND r.id = ?5")
                + " ORDER BY j.submission_num DESC, r.submitted_at DESC");
    query
        .setParameter(1, projectId)
        .setParameter(2, runName)
        .setParameter(3, replicaNum)
        .setParameter(4, jobNum)
        .setParameter(5, runId == null ? (Object) Boolean.FALSE : runId)
        .setMaxResults(1);
    List<?> rows = query.getResultList();
    if (rows.isEmpty()) {
      return null;
    }
    Object[] row = (Object[]) rows.get(0);
    return new Job(
        String.valueOf(row[0]),
        row[1] == null ? null : row[1].toString(),
        row[2] == null ? null : row[2].toString());
  }

  /**
   * Retention (upstream's {@code delete_metrics}): points of running jobs older than the running
   * TTL, and of finished jobs older than the finished TTL.
   */
  public int deleteExpired() {
    RunSettings settings = server.settings().runs();
    long now = MetricsSeries.micros(Instant.now());
    long runningCutoff = now - settings.metricsRunningTtl().toSeconds() * 1_000_000L;
    long finishedCutoff = now - settings.metricsFinishedTtl().toSeconds() * 1_000_000L;
    return server
        .database()
        .tx(
            em ->
                deleteOlder(em, "status = 'RUNNING'", runningCutoff)
                    + deleteOlder(
                        em,
                        "status IN ('TERMINATED', 'ABORTED', 'FAILED', 'DONE')",
                        finishedCutoff));
  }

  private static int deleteOlder(EntityManager em, String jobStatus, long cutoffMicro) {
    return em.createNativeQuery(
            "DELETE FROM job_metrics_points WHERE timestamp_micro < ?1"
                + " AND job_id IN (SELECT id FROM jobs WHERE "
                + jobStatus
                + ")")
        .setParameter(1, cutoffMicro)
        .executeUpdate();
  }
}
