package ai.dstack.server.logs.control;

import ai.dstack.server.api.ApiException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Logs as JSON Lines files under the server directory, upstream's default storage (SERVER.md §5.2,
 * §5.3): {@code projects/<project>/logs/<run>/<job_submission_id>/{job,runner}.log}. Ascending
 * pages are counted in lines, descending pages in bytes from the end; both stream the file.
 */
public final class FileLogStorage implements LogStorage {
  private static final Pattern PYTHON_INT = Pattern.compile("^[+-]?\\d+(_\\d+)*$");

  private final Path root;

  /**
   * @param root the server directory ({@code DSTACK_SERVER_DIR})
   */
  public FileLogStorage(Path root) {
    this.root = root;
  }

  /** Where a job's stream is kept; the target must be {@link JobLogs#wellFormed()}. */
  public Path file(JobLogs target, LogProducer producer) {
    if (!target.wellFormed()) {
      throw new IllegalArgumentException("Not a job's log address: " + target);
    }
    return root.resolve("projects")
        .resolve(target.projectName())
        .resolve("logs")
        .resolve(target.runName())
        .resolve(target.jobSubmissionId())
        .resolve(producer.value() + ".log");
  }

  @Override
  public void write(JobLogs target, LogProducer producer, List<RunnerLogEvent> events) {
    if (events.isEmpty()) {
      return;
    }
    Path file = file(target, producer);
    try {
      Files.createDirectories(file.getParent());
      try (OutputStream out =
          Files.newOutputStream(
              file,
              StandardOpenOption.CREATE,
              StandardOpenOption.APPEND,
              StandardOpenOption.WRITE)) {
        LogLines.write(out, events);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Could not write " + file, e);
    }
  }

  @Override
  public LogPage poll(JobLogs target, LogProducer producer, LogQuery query) {
    // the token is checked first: a bad one is the caller's mistake whether or not the job exists
    long token = token(query);
    if (!target.wellFormed()) {
      // no job can have such a name, so it has no logs (as upstream answers for unknown jobs)
      return LogPage.EMPTY;
    }
    Path file = file(target, producer);
    try {
      return query.descending() ? descending(file, query, token) : ascending(file, query, token);
    } catch (NoSuchFileException e) {
      return LogPage.EMPTY;
    } catch (IOException e) {
      throw new UncheckedIOException("Could not read " + file, e);
    }
  }

  /**
   * The line count (ascending, where upstream ignores an empty token) or byte offset (descending;
   * {@code -1} for the end of the file) the page starts at.
   */
  private static long token(LogQuery query) {
    String token = query.nextToken();
    if (query.descending()) {
      return token == null ? -1 : parseToken(token);
    }
    return token == null || token.isEmpty() ? 0 : parseToken(token);
  }

  /**
   * Lines in file order; the token is the number of lines consumed. It is returned only when the
   * page filled up and the file goes on. Upstream checks the limit after adding an event, so a
   * limit of 0 still returns one event; kept for the same pages.
   */
  private static LogPage ascending(Path file, LogQuery query, long startLine) throws IOException {
    List<LogEvent> events = new ArrayList<>();
    String nextToken = null;
    CharsetDecoder utf8 = LogLines.decoder();
    try (InputStream in = Files.newInputStream(file)) {
      ForwardLines lines = new ForwardLines(in);
      for (long i = 0; i < startLine; i++) {
        if (!lines.skip()) {
          return LogPage.EMPTY;
        }
      }
      long consumed = startLine;
      while (lines.next()) {
        consumed++;
        LogEvent event = LogLines.parse(lines.line(), 0, lines.length(), utf8);
        if (event == null || atOrBefore(event.timestamp(), query.startTime())) {
          continue;
        }
        if (query.endTime() != null && !event.timestamp().isBefore(query.endTime())) {
          break;
        }
        events.add(event);
        if (events.size() >= query.limit()) {
          if (lines.hasMore()) {
            nextToken = Long.toString(consumed);
          }
          break;
        }
      }
    }
    return new LogPage(events, null, nextToken);
  }

  /**
   * Lines from the end of the file (or from the token's byte offset) backwards; reads one event
   * beyond the limit to know whether more follow. The token is the offset of the oldest returned
   * line (with a limit of 0, upstream's, of the one event read).
   */
  private static LogPage descending(Path file, LogQuery query, long before) throws IOException {
    List<LogEvent> events = new ArrayList<>();
    List<Long> offsets = new ArrayList<>();
    CharsetDecoder utf8 = LogLines.decoder();
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      ReverseLines lines = new ReverseLines(channel, before);
      while (lines.previous()) {
        LogEvent event = LogLines.parse(lines.data(), lines.from(), lines.to(), utf8);
        if (event == null) {
          continue;
        }
        if (query.endTime() != null && event.timestamp().isAfter(query.endTime())) {
          continue;
        }
        if (atOrBefore(event.timestamp(), query.startTime())) {
          break;
        }
        events.add(event);
        offsets.add(lines.offset());
        if (events.size() > query.limit()) {
          break;
        }
      }
    }
    if (events.size() <= query.limit()) {
      return new LogPage(events, null, null);
    }
    long last = offsets.get(Math.max(query.limit() - 1, 0));
    return new LogPage(List.copyOf(events.subList(0, query.limit())), null, Long.toString(last));
  }

  private static boolean atOrBefore(Instant timestamp, Instant bound) {
    return bound != null && !timestamp.isAfter(bound);
  }

  /** Python's {@code int()} of the token, which must not be negative. */
  private static long parseToken(String token) {
    String text = token.strip();
    if (PYTHON_INT.matcher(text).matches()) {
      BigInteger value = new BigInteger(text.replace("_", ""));
      if (value.signum() >= 0) {
        return value.bitLength() < Long.SIZE ? value.longValue() : Long.MAX_VALUE;
      }
    }
    throw ApiException.error("Invalid next_token: " + token + ". Must be a non-negative integer.");
  }
}
