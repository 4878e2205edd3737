package ai.dstack.server.logs.control;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * One page request of {@code logs/poll}.
 *
 * @param startTime exclusive lower bound, or {@code null}
 * @param endTime upper bound, or {@code null}
 * @param nextToken the storage's opaque token from the previous page, or {@code null}
 * @param limit 0..1000 events
 */
public record LogQuery(
    Instant startTime, Instant endTime, boolean descending, String nextToken, int limit) {
  public LogQuery {
    // upstream keeps datetimes to the microsecond: finer digits must not change the comparisons
    startTime = startTime == null ? null : startTime.truncatedTo(ChronoUnit.MICROS);
    endTime = endTime == null ? null : endTime.truncatedTo(ChronoUnit.MICROS);
  }
}
