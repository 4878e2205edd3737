package ai.dstack.server.logs.control;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.logging.Logger;

/**
 * Splits a job's events into PutLogEvents calls within CloudWatch's limits (SERVER.md §5.4): sorted
 * by time, at most 10,000 events and 1 MiB (UTF-8 bytes plus 26 per event) per call, one event at
 * most 256 KiB, one call spanning at most 24 hours; events CloudWatch would refuse (older than 14
 * days, more than 2 hours ahead, empty) are left out.
 */
final class CloudWatchBatches {
  private static final Logger log = Logger.getLogger(CloudWatchBatches.class.getName());

  static final int MAX_EVENTS = 10_000;
  static final int MAX_BATCH_BYTES = 1_048_576;
  static final int MAX_EVENT_BYTES = 262_144;
  static final int EVENT_OVERHEAD = 26;
  static final long MAX_SPAN_MILLIS = 24L * 3600 * 1000;
  private static final long CLOCK_DRIFT_MILLIS = 10L * 60 * 1000;
  static final long MAX_AGE_MILLIS = 14L * 24 * 3600 * 1000 - CLOCK_DRIFT_MILLIS;
  static final long MAX_AHEAD_MILLIS = 2L * 3600 * 1000 - CLOCK_DRIFT_MILLIS;

  /** One event as CloudWatch takes it. */
  record Event(long timestampMillis, String message) {
    int size() {
      return message.getBytes(StandardCharsets.UTF_8).length + EVENT_OVERHEAD;
    }
  }

  private CloudWatchBatches() {}

  static List<List<Event>> split(String stream, List<RunnerLogEvent> events, long nowMillis) {
    List<Event> sorted =
        events.stream()
            .map(e -> new Event(e.timestampMillis(), decode(e.message())))
            .sorted(Comparator.comparingLong(Event::timestampMillis))
            .toList();
    List<List<Event>> batches = new ArrayList<>();
    List<Event> batch = new ArrayList<>();
    long batchBytes = 0;
    for (Event event : sorted) {
      if (event.message().isEmpty()
          || nowMillis - event.timestampMillis() > MAX_AGE_MILLIS
          || event.timestampMillis() - nowMillis > MAX_AHEAD_MILLIS) {
        continue;
      }
      int size = event.size();
      if (size > MAX_EVENT_BYTES) {
        log.warning(
            "Stream "
                + stream
                + ": skipping an event of "
                + size
                + " bytes (CloudWatch takes "
                + MAX_EVENT_BYTES
                + ")");
        continue;
      }
      boolean full =
          batch.size() == MAX_EVENTS
              || batchBytes + size > MAX_BATCH_BYTES
              || (!batch.isEmpty()
                  && event.timestampMillis() - batch.get(0).timestampMillis() > MAX_SPAN_MILLIS);
      if (full) {
        batches.add(batch);
        batch = new ArrayList<>();
        batchBytes = 0;
      }
      batch.add(event);
      batchBytes += size;
    }
    if (!batch.isEmpty()) {
      batches.add(batch);
    }
    return batches;
  }

  /** CloudWatch keeps text: bytes that are not UTF-8 become U+FFFD, as upstream stores them. */
  private static String decode(byte[] message) {
    return new String(message, StandardCharsets.UTF_8);
  }
}
