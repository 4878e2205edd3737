package ai.dstack.server.events.control;

import ai.dstack.server.workers.ScheduledTask;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.logging.Logger;

/** Upstream's {@code delete_events}: every 7 minutes, events older than the TTL go. */
@ApplicationScoped
public class EventsRetention implements ScheduledTask {
  private static final Logger log = Logger.getLogger(EventsRetention.class.getName());

  @Inject private Events events;

  @Override
  public String name() {
    return "delete_events";
  }

  @Override
  public Duration period() {
    return Duration.ofMinutes(7);
  }

  @Override
  public void run() {
    int deleted = events.deleteExpired();
    if (deleted > 0) {
      log.info("Deleted " + deleted + " expired event(s)");
    }
  }
}
