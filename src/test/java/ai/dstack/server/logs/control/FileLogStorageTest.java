package ai.dstack.server.logs.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.api.ApiException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileLogStorageTest {
  private static final long T0 = Instant.parse("2023-10-06T10:01:53Z").toEpochMilli();

  @TempDir Path root;

  private final JobLogs job = new JobLogs("main", "hello-task", UUID.randomUUID().toString());

  private FileLogStorage storage() {
    return new FileLogStorage(root);
  }

  private static RunnerLogEvent event(long millis, String text) {
    return new RunnerLogEvent(millis, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Events {@code line-0…} one millisecond apart from T0, written in pages of 500. */
  private void writeLines(FileLogStorage storage, int count) {
    List<RunnerLogEvent> page = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      page.add(event(T0 + i, "line-" + i));
      if (page.size() == 500) {
        storage.write(job, LogProducer.JOB, page);
        page.clear();
      }
    }
    storage.write(job, LogProducer.JOB, page);
  }

  private static LogQuery ascending(String token, int limit) {
    return new LogQuery(null, null, false, token, limit);
  }

  private static LogQuery descending(String token, int limit) {
    return new LogQuery(null, null, true, token, limit);
  }

  private static List<String> messages(LogPage page) {
    return page.events().stream().map(LogEvent::message).toList();
  }

  private static Instant at(long millisAfterT0) {
    return Instant.ofEpochMilli(T0 + millisAfterT0);
  }

  @Test
  void writesUpstreamsJsonLinesUnderTheRunAndSubmission() throws IOException {
    FileLogStorage storage = storage();
    storage.write(job, LogProducer.RUNNER, List.of(event(T0, "Hello\n"), event(T0 + 234, "ok")));
    storage.write(job, LogProducer.RUNNER, List.of(event(T0 + 1000, "again")));
    Path file =
        root.resolve("projects/main/logs/hello-task/" + job.jobSubmissionId() + "/runner.log");
    assertEquals(file, storage.file(job, LogProducer.RUNNER));
    assertEquals(
        List.of(
            "{\"timestamp\":\"2023-10-06T10:01:53+00:00\",\"log_source\":\"stdout\","
                + "\"message\":\"Hello\\n\"}",
            "{\"timestamp\":\"2023-10-06T10:01:53.234000+00:00\",\"log_source\":\"stdout\","
                + "\"message\":\"ok\"}",
            "{\"timestamp\":\"2023-10-06T10:01:54+00:00\",\"log_source\":\"stdout\","
                + "\"message\":\"again\"}"),
        Files.readAllLines(file));
    assertTrue(Files.notExists(file.resolveSibling("job.log")), "no empty job stream");
  }

  @Test
  void messagesAreDecodedAsUtf8WithPythonsReplacementAndEscapedAsOrjsonDoes() throws IOException {
    byte[] raw = {
      'a',
      (byte) 0xE2,
      (byte) 0x82,
      'b', // truncated sequence: one replacement
      (byte) 0xED,
      (byte) 0xA0,
      (byte) 0x80, // encoded surrogate: three
      (byte) 0xC3,
      (byte) 0xA9, // é kept as is
      (byte) 0xF0,
      (byte) 0x9F,
      (byte) 0x98,
      (byte) 0x80, // 😀
      '"',
      '\\',
      0x01,
      '\t',
      0x7F,
      (byte) 0xFF
    };
    FileLogStorage storage = storage();
    storage.write(job, LogProducer.JOB, List.of(new RunnerLogEvent(T0, raw)));
    String expected = "a\uFFFDb\uFFFD\uFFFD\uFFFDé😀\"\\\u0001\t\u007F\uFFFD";
    assertEquals(
        List.of(expected), messages(storage.poll(job, LogProducer.JOB, ascending(null, 10))));
    String line = Files.readString(storage.file(job, LogProducer.JOB), StandardCharsets.UTF_8);
    assertTrue(
        line.contains(
            "\"message\":\"a\uFFFDb\uFFFD\uFFFD\uFFFDé😀\\\"\\\\\\u0001\\t\u007F\uFFFD\"}\n"),
        line);
  }

  @Test
  void ascendingPagesCountLinesAndEndWithoutAToken() {
    FileLogStorage storage = storage();
    writeLines(storage, 250);
    List<String> seen = new ArrayList<>();
    List<String> tokens = new ArrayList<>();
    String token = null;
    do {
      LogPage page = storage.poll(job, LogProducer.JOB, ascending(token, 100));
      seen.addAll(messages(page));
      token = page.nextToken();
      tokens.add(token);
    } while (token != null);
    assertEquals(Arrays.asList("100", "200", null), tokens);
    assertEquals(250, seen.size());
    assertEquals("line-0", seen.get(0));
    assertEquals("line-249", seen.get(249));
    assertNull(
        storage.poll(job, LogProducer.JOB, ascending("150", 100)).nextToken(), "exactly full");
    assertEquals(
        List.of("line-150"), messages(storage.poll(job, LogProducer.JOB, ascending("150", 1))));
    assertEquals(LogPage.EMPTY, storage.poll(job, LogProducer.JOB, ascending("999", 100)));
  }

  @Test
  void descendingPagesReadBackwardsWithByteOffsetTokens() throws IOException {
    FileLogStorage storage = storage();
    writeLines(storage, 250);
    List<String> seen = new ArrayList<>();
    List<String> tokens = new ArrayList<>();
    String token = null;
    do {
      LogPage page = storage.poll(job, LogProducer.JOB, descending(token, 100));
      seen.addAll(messages(page));
      token = page.nextToken();
      tokens.add(token);
    } while (token != null);
    assertEquals(250, seen.size());
    assertEquals("line-249", seen.get(0));
    assertEquals("line-150", seen.get(99));
    assertEquals("line-0", seen.get(249));
    // the token is where the oldest returned line starts
    List<String> lines = Files.readAllLines(storage.file(job, LogProducer.JOB));
    long offset = 0;
    for (int i = 0; i < 150; i++) {
      offset += lines.get(i).length() + 1;
    }
    assertEquals(Long.toString(offset), tokens.get(0));
    assertNull(tokens.get(2));
    // an offset inside a line still returns that whole line
    assertEquals(
        List.of("line-149", "line-148"),
        messages(storage.poll(job, LogProducer.JOB, descending(Long.toString(offset - 5), 2))));
  }

  @Test
  void startTimeIsExclusiveAndEndTimeBoundsBothDirections() {
    FileLogStorage storage = storage();
    writeLines(storage, 20);
    LogPage up = storage.poll(job, LogProducer.JOB, new LogQuery(at(4), at(8), false, null, 100));
    assertEquals(List.of("line-5", "line-6", "line-7"), messages(up), "end_time excluded going up");
    assertNull(up.nextToken());
    LogPage down = storage.poll(job, LogProducer.JOB, new LogQuery(at(4), at(8), true, null, 100));
    assertEquals(
        List.of("line-8", "line-7", "line-6", "line-5"),
        messages(down),
        "end_time kept going down");
    LogPage firstPage =
        storage.poll(job, LogProducer.JOB, new LogQuery(at(10), null, false, null, 3));
    assertEquals(List.of("line-11", "line-12", "line-13"), messages(firstPage));
    assertEquals("14", firstPage.nextToken(), "skipped lines count in the token");
    // microseconds finer than upstream keeps do not move the bound
    LogQuery fine = new LogQuery(at(4).plusNanos(999), null, false, null, 1);
    assertEquals(List.of("line-5"), messages(storage.poll(job, LogProducer.JOB, fine)));
  }

  @Test
  void malformedLinesAreSkippedButCounted() throws IOException {
    FileLogStorage storage = storage();
    storage.write(job, LogProducer.JOB, List.of(event(T0, "first")));
    Path file = storage.file(job, LogProducer.JOB);
    Files.write(
        file,
        List.of(
            "not json",
            "{\"timestamp\":\"yesterday\",\"log_source\":\"stdout\",\"message\":\"x\"}",
            "{\"timestamp\":\"2023-10-06T10:01:54+00:00\",\"log_source\":\"tty\",\"message\":\"x\"}",
            "{\"timestamp\":\"2023-10-06T10:01:54+00:00\",\"log_source\":\"stdout\"}",
            "[1]",
            ""),
        StandardOpenOption.APPEND);
    Files.write(file, new byte[] {'{', (byte) 0xFF, '}', '\n'}, StandardOpenOption.APPEND);
    storage.write(job, LogProducer.JOB, List.of(event(T0 + 2000, "last")));
    LogPage first = storage.poll(job, LogProducer.JOB, ascending(null, 1));
    assertEquals(List.of("first"), messages(first));
    LogPage rest = storage.poll(job, LogProducer.JOB, ascending(first.nextToken(), 1));
    assertEquals(List.of("last"), messages(rest));
    assertNull(rest.nextToken());
    assertEquals(
        List.of("last", "first"),
        messages(storage.poll(job, LogProducer.JOB, descending(null, 10))));
  }

  @Test
  void badTokensAreUpstreams400() {
    FileLogStorage storage = storage();
    writeLines(storage, 3);
    for (String token : List.of("invalid", "-1", "1.5")) {
      for (LogQuery query : List.of(ascending(token, 10), descending(token, 10))) {
        ApiException e =
            assertThrows(ApiException.class, () -> storage.poll(job, LogProducer.JOB, query));
        assertEquals(400, e.status());
        assertEquals(
            "{\"detail\":[{\"msg\":\"Invalid next_token: "
                + token
                + ". Must be a non-negative integer.\",\"code\":\"error\"}]}",
            e.body().toString());
      }
    }
    JobLogs unknown = new JobLogs("main", "no-such-run", UUID.randomUUID().toString());
    assertThrows(
        ApiException.class, () -> storage.poll(unknown, LogProducer.JOB, descending("x", 1)));
    assertThrows(ApiException.class, () -> storage.poll(job, LogProducer.JOB, descending("", 1)));
    assertEquals(3, storage.poll(job, LogProducer.JOB, ascending("", 10)).events().size());
    // Python's int() reads the token: blanks, a sign and digit separators are fine
    assertEquals(
        List.of("line-2"), messages(storage.poll(job, LogProducer.JOB, ascending(" +0_2 ", 10))));
  }

  @Test
  void missingFilesAndImpossibleNamesHaveNoLogs() {
    FileLogStorage storage = storage();
    writeLines(storage, 3);
    assertEquals(LogPage.EMPTY, storage.poll(job, LogProducer.RUNNER, ascending(null, 10)));
    assertEquals(LogPage.EMPTY, storage.poll(job, LogProducer.RUNNER, descending(null, 10)));
    String id = job.jobSubmissionId();
    for (JobLogs bad :
        List.of(
            new JobLogs("main", "../hello-task", id),
            new JobLogs("..", "hello-task", id),
            new JobLogs("main", "hello-task", "../" + id),
            new JobLogs("main", "hello-task", id.toUpperCase()))) {
      assertEquals(
          LogPage.EMPTY, storage.poll(bad, LogProducer.JOB, ascending(null, 10)), bad.toString());
      assertThrows(
          IllegalArgumentException.class,
          () -> storage.write(bad, LogProducer.JOB, List.of(event(T0, "x"))));
    }
  }

  @Test
  void aLimitOfZeroPagesAsUpstreamDoes() {
    FileLogStorage storage = storage();
    writeLines(storage, 3);
    LogPage up = storage.poll(job, LogProducer.JOB, ascending(null, 0));
    assertEquals(List.of("line-0"), messages(up));
    assertEquals("1", up.nextToken());
    LogPage down = storage.poll(job, LogProducer.JOB, descending(null, 0));
    assertEquals(List.of(), messages(down));
    assertNotNull(down.nextToken());
  }

  @Test
  void differentJobsAreWrittenFromSeveralThreadsAtOnce() throws Exception {
    FileLogStorage storage = storage();
    List<JobLogs> jobs = new ArrayList<>();
    for (int j = 0; j < 4; j++) {
      jobs.add(new JobLogs("main", "run-" + j, UUID.randomUUID().toString()));
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (JobLogs target : jobs) {
        done.add(
            pool.submit(
                () -> {
                  for (int page = 0; page < 20; page++) {
                    List<RunnerLogEvent> events = new ArrayList<>();
                    for (int i = 0; i < 100; i++) {
                      events.add(event(T0 + page * 100 + i, target.runName() + "/" + i));
                    }
                    storage.write(target, LogProducer.JOB, events);
                  }
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    for (JobLogs target : jobs) {
      LogPage page = storage.poll(target, LogProducer.JOB, ascending("1999", 10));
      assertEquals(List.of(target.runName() + "/99"), messages(page));
    }
  }

  @Test
  void largeFilesArePagedWithBoundedMemory() throws IOException {
    FileLogStorage storage = storage();
    Path file = storage.file(job, LogProducer.JOB);
    Files.createDirectories(file.getParent());
    int count = 200_000;
    try (BufferedWriter out = Files.newBufferedWriter(file)) {
      for (int i = 0; i < count; i++) {
        out.write(
            "{\"timestamp\":\""
                + at(i)
                + "\",\"log_source\":\"stdout\",\"message\":\"line-"
                + i
                + " "
                + "x".repeat(60)
                + "\"}\n");
      }
    }
    long size = Files.size(file);
    assertTrue(size > 20_000_000, "file of " + size);

    String token = null;
    int expected = count - 1;
    for (int page = 0; page < 5; page++) {
      LogPage result = storage.poll(job, LogProducer.JOB, descending(token, 1000));
      assertEquals(1000, result.events().size());
      assertTrue(result.events().get(0).message().startsWith("line-" + expected + " "));
      expected -= 1000;
      token = result.nextToken();
    }
    // a page from the middle of the file reads only its lines (garbage included)
    long before = allocated();
    LogPage middle = storage.poll(job, LogProducer.JOB, descending(Long.toString(size / 2), 100));
    long descendingAllocated = allocated() - before;
    assertEquals(100, middle.events().size());
    assertTrue(descendingAllocated < size / 20, "descending allocated " + descendingAllocated);

    before = allocated();
    LogPage tail = storage.poll(job, LogProducer.JOB, ascending(Integer.toString(count - 10), 100));
    long ascendingAllocated = allocated() - before;
    assertEquals(10, tail.events().size());
    assertTrue(tail.events().get(0).message().startsWith("line-" + (count - 10) + " "));
    assertTrue(ascendingAllocated < size / 20, "skipping lines allocated " + ascendingAllocated);

    // a descending scan through the whole file to reach old events keeps only its page
    LogQuery old = new LogQuery(null, at(2), true, null, 100);
    assertEquals(
        List.of("line-2", "line-1", "line-0"),
        storage.poll(job, LogProducer.JOB, old).events().stream()
            .map(e -> e.message().substring(0, 6))
            .toList());
  }

  @Test
  void writingALargePageDoesNotBufferIt() throws IOException {
    FileLogStorage storage = storage();
    byte[] chunk = "y".repeat(16 * 1024).getBytes(StandardCharsets.US_ASCII);
    List<RunnerLogEvent> page = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      page.add(new RunnerLogEvent(T0 + i, chunk));
    }
    storage.write(job, LogProducer.JOB, List.of(event(T0, "warm-up")));
    long before = allocated();
    storage.write(job, LogProducer.JOB, page);
    long used = allocated() - before;
    long size = Files.size(storage.file(job, LogProducer.JOB));
    assertTrue(size > 32_000_000, "wrote " + size);
    // per-event garbage only (the timestamp text), nothing in proportion to the bytes
    assertTrue(used < size / 4, "writing 32 MB allocated " + used);
  }

  /** Bytes this thread allocated so far (HotSpot's counter). */
  private static long allocated() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
        .getThreadAllocatedBytes(Thread.currentThread().getId());
  }
}
