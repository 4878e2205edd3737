package ai.dstack.server.logs.control;

import java.util.List;

/**
 * One page of events.
 *
 * @param externalUrl where the storage shows these logs itself (CloudWatch console), or {@code
 *     null}
 * @param nextToken non-null when more events may follow
 */
public record LogPage(List<LogEvent> events, String externalUrl, String nextToken) {
  public static final LogPage EMPTY = new LogPage(List.of(), null, null);
}
