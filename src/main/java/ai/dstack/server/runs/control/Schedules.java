package ai.dstack.server.runs.control;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** When a run with {@code schedule} (profile or configuration) starts next. */
public final class Schedules {
  private Schedules() {}

  /** The earliest trigger of any of its crons at or after {@code now}; null if not scheduled. */
  public static Instant next(Map<String, Object> spec, Instant now) {
    if (!(RunSpecs.merged(spec, "schedule") instanceof Map<?, ?> schedule)
        || !(schedule.get("cron") instanceof List<?> crons)) {
      return null;
    }
    Instant earliest = null;
    for (Object cron : crons) {
      Instant next = Cron.parse((String) cron).next(now);
      if (next != null && (earliest == null || next.isBefore(earliest))) {
        earliest = next;
      }
    }
    return earliest;
  }
}
