package ai.dstack.agent.runner;

import ai.dstack.agent.json.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A job's log events on disk, one JSON line each ({@code timestamp} ms, {@code message} base64 as
 * the runner API sends it, and for job output {@code raw_end}, the output file offset it covers).
 * Only an index stays in memory, so long outputs cost the agent 24 bytes per event.
 */
final class EventLog {
  private final Path file;
  private long[] timestamps = new long[64];
  private long[] offsets = new long[64];
  private long[] rawEnds = new long[64];
  private int size;
  private long fileEnd;

  EventLog(Path file) throws IOException {
    this.file = file;
    if (Files.exists(file)) {
      reindex();
    }
  }

  private void reindex() throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
      long offset = 0;
      String line;
      while ((line = raf.readLine()) != null) {
        long next = raf.getFilePointer();
        try {
          Map<String, Object> event = Json.parseObject(line);
          add(Json.number(event, "timestamp", 0), offset, Json.number(event, "raw_end", -1));
        } catch (RuntimeException torn) {
          // a line cut by a crash mid-write: drop it and everything after it
          try (RandomAccessFile rw = new RandomAccessFile(file.toFile(), "rw")) {
            rw.setLength(offset);
          }
          fileEnd = offset;
          return;
        }
        offset = next;
      }
      fileEnd = offset;
    }
  }

  private void add(long timestamp, long offset, long rawEnd) {
    if (size == timestamps.length) {
      timestamps = Arrays.copyOf(timestamps, size * 2);
      offsets = Arrays.copyOf(offsets, size * 2);
      rawEnds = Arrays.copyOf(rawEnds, size * 2);
    }
    timestamps[size] = timestamp;
    offsets[size] = offset;
    rawEnds[size] = rawEnd;
    size++;
  }

  synchronized void append(long timestamp, byte[] message, long rawEnd) throws IOException {
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("timestamp", timestamp);
    event.put("message", Base64.getEncoder().encodeToString(message));
    if (rawEnd >= 0) {
      event.put("raw_end", rawEnd);
    }
    byte[] line = (Json.write(event) + "\n").getBytes(StandardCharsets.UTF_8);
    Files.write(file, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    add(timestamp, fileEnd, rawEnd);
    fileEnd += line.length;
  }

  synchronized long lastTimestamp() {
    return size == 0 ? 0 : timestamps[size - 1];
  }

  /** The last covered output offset, where reading the output file resumes after a restart. */
  synchronized long lastRawEnd() {
    for (int i = size - 1; i >= 0; i--) {
      if (rawEnds[i] >= 0) {
        return rawEnds[i];
      }
    }
    return 0;
  }

  /** The output offset where events at or after {@code timestamp} begin. */
  synchronized long rawOffsetAt(long timestamp) {
    int first = firstAfter(timestamp - 1);
    return first == 0 ? 0 : Math.max(0, rawEnds[first - 1]);
  }

  /**
   * Up to {@code limit} events with a timestamp above {@code after}, as wire objects, stopping once
   * their messages reach {@code maxBytes} (at least one event): a page's size is bounded however
   * long the lines are.
   */
  synchronized Page after(long after, int limit, long maxBytes) throws IOException {
    int first = firstAfter(after);
    int last = Math.min(size, first + limit);
    List<Map<String, Object>> events = new ArrayList<>();
    if (first < last) {
      try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
        raf.seek(offsets[first]);
        BufferedReader reader =
            new BufferedReader(
                new InputStreamReader(
                    Channels.newInputStream(raf.getChannel()), StandardCharsets.UTF_8));
        long bytes = 0;
        for (int i = first; i < last; i++) {
          Map<String, Object> event = Json.parseObject(reader.readLine());
          event.remove("raw_end");
          events.add(event);
          bytes += String.valueOf(event.get("message")).length();
          if (bytes >= maxBytes) {
            last = i + 1;
          }
        }
      }
    }
    return new Page(events, last < size);
  }

  private int firstAfter(long timestamp) {
    int lo = 0;
    int hi = size;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (timestamps[mid] <= timestamp) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  record Page(List<Map<String, Object>> events, boolean truncated) {}

  /** For the runner's own log: a line of text per event. */
  static byte[] line(String text) {
    return (text + "\n").getBytes(StandardCharsets.UTF_8);
  }
}
