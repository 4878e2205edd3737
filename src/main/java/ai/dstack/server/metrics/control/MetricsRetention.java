package ai.dstack.server.metrics.control;

import ai.dstack.server.workers.ScheduledTask;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.logging.Logger;

/** Upstream's {@code delete_metrics}: every 5 minutes, points past their TTL go. */
@ApplicationScoped
public class MetricsRetention implements ScheduledTask {
  private static final Logger log = Logger.getLogger(MetricsRetention.class.getName());

  @Inject private JobMetrics metrics;

  @Override
  public String name() {
    return "delete_metrics";
  }

  @Override
  public Duration period() {
    return Duration.ofMinutes(5);
  }

  @Override
  public void run() {
    int deleted = metrics.deleteExpired();
    if (deleted > 0) {
      log.info("Deleted " + deleted + " expired job metrics point(s)");
    }
  }
}
