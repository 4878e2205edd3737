package ai.dstack.server.runs.control;

import ai.dstack.server.db.Times;
import ai.dstack.server.fleets.control.FleetSpecs;
import ai.dstack.server.runs.entity.JobEntity;
import ai.dstack.server.runs.entity.ProbeEntity;
import jakarta.persistence.EntityManager;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A service replica's readiness probes ({@code job_spec.probes}): their rows start when the job
 * runs, {@link ProbesTask} runs them, and a replica is ready once every probe has succeeded {@code
 * ready_after} times in a row. A replica without probes is ready as soon as it runs.
 */
public final class Probes {
  private Probes() {}

  /** The job spec's probes, as stored. */
  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> specs(JobEntity job) {
    Object probes = FleetSpecs.parse(job.getJobSpecData()).get("probes");
    return probes instanceof List<?> list ? (List<Map<String, Object>>) list : List.of();
  }

  /** A job that has just started running gets its probes, due at once. */
  static void start(EntityManager em, JobEntity job) {
    int count = specs(job).size();
    for (int num = 0; num < count; num++) {
      em.persist(
          new ProbeEntity(
              UUID.randomUUID().toString(),
              job.getJobName() + "-" + num,
              job.getId(),
              num,
              Times.now()));
    }
  }

  /** Each job's probes' success streaks, in probe order (jobs without probes are absent). */
  public static Map<String, List<Long>> streaks(EntityManager em, Collection<String> jobIds) {
    Map<String, List<Long>> out = new HashMap<>();
    if (jobIds.isEmpty()) {
      return out;
    }
    List<ProbeEntity> rows = new ArrayList<>();
    List<String> ids = List.copyOf(jobIds);
    // bounded IN lists: SQLite and PostgreSQL both take a few hundred parameters comfortably
    for (int i = 0; i < ids.size(); i += 500) {
      rows.addAll(
          em.createQuery(
                  "SELECT p FROM ProbeEntity p WHERE p.jobId IN :jobs ORDER BY p.jobId, p.probeNum",
                  ProbeEntity.class)
              .setParameter("jobs", ids.subList(i, Math.min(ids.size(), i + 500)))
              .getResultList());
    }
    for (ProbeEntity row : rows) {
      out.computeIfAbsent(row.getJobId(), k -> new ArrayList<>()).add(row.getSuccessStreak());
    }
    return out;
  }

  /** Whether the job has no probes, or each of them has succeeded its {@code ready_after}. */
  public static boolean ready(JobEntity job, List<Long> streaks) {
    List<Map<String, Object>> specs = specs(job);
    if (specs.isEmpty()) {
      return true;
    }
    if (streaks == null || streaks.size() < specs.size()) {
      return false;
    }
    for (int i = 0; i < specs.size(); i++) {
      if (streaks.get(i) < readyAfter(specs.get(i))) {
        return false;
      }
    }
    return true;
  }

  static long readyAfter(Map<String, Object> spec) {
    return spec.get("ready_after") instanceof Number n ? n.longValue() : 1;
  }
}
