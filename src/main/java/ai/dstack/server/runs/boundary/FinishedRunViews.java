package ai.dstack.server.runs.boundary;

import ai.dstack.server.runs.control.Runs;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The JSON of finished runs as lists show them, kept for the next list: a finished run and its jobs
 * no longer change (only {@code deleted}, which is part of the key), so the newest pages that the
 * CLI and UI poll every few seconds are written once, not on every request. Bounded by characters,
 * least recently used first out.
 */
@ApplicationScoped
public class FinishedRunViews {
  /** UTF-8 bytes kept at most: thousands of runs. */
  private static final long MAX_BYTES = 16L * 1024 * 1024;

  private final LinkedHashMap<String, byte[]> views = new LinkedHashMap<>(256, 0.75f, true);
  private long bytes;

  /** The key of a run's view in one list variant; null for a run that may still change. */
  static String key(Runs.ListedRun run, boolean includeJobs, Integer submissionsLimit) {
    if (!run.status().finished()) {
      return null;
    }
    return run.id() + "|" + run.deleted() + "|" + includeJobs + "|" + submissionsLimit;
  }

  synchronized byte[] get(String key) {
    return key == null ? null : views.get(key);
  }

  synchronized void put(String key, byte[] json) {
    if (key == null || json.length > MAX_BYTES / 16) {
      return;
    }
    byte[] previous = views.put(key, json);
    bytes += json.length - (previous == null ? 0 : previous.length);
    Iterator<Map.Entry<String, byte[]>> oldest = views.entrySet().iterator();
    while (bytes > MAX_BYTES && oldest.hasNext()) {
      bytes -= oldest.next().getValue().length;
      oldest.remove();
    }
  }
}
