package ai.dstack.server.runs.control;

import ai.dstack.server.db.Times;
import ai.dstack.server.runs.entity.JobEntity;
import ai.dstack.server.runs.entity.RunEntity;
import jakarta.persistence.EntityManager;
import java.time.Duration;

/**
 * A job or run that changed status is due for its next pipeline at once (upstream's
 * skip_min_processing_interval): its {@code last_processed_at} is set back past any minimum
 * interval, so the hint that follows finds it eligible instead of a minimum interval later.
 */
final class Handover {
  /** Longer than any pipeline's minimum interval; the next round sets the real time again. */
  private static final Duration BACKDATE = Duration.ofSeconds(30);

  private Handover() {}

  /** The job, and its run (whose status follows the job's). */
  static void job(EntityManager em, JobEntity job) {
    job.setLastProcessedAt(Times.now().minus(BACKDATE));
    RunEntity run = em.find(RunEntity.class, job.getRunId());
    if (run != null) {
      run(run);
    }
  }

  static void run(RunEntity run) {
    run.setLastProcessedAt(Times.now().minus(BACKDATE));
  }
}
