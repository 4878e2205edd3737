package ai.dstack.server.logs.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.api.ApiException;
import ai.dstack.server.logs.testing.FakeCloudWatch;
import ai.dstack.server.settings.Settings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CloudWatch log storage through the real AWS SDK against {@link FakeCloudWatch}. */
class CloudWatchLogStorageTest {
  private static final String GROUP = "dstack-runs";
  private static final JobLogs JOB = new JobLogs("main", "my-run", UUID.randomUUID().toString());
  private static final String STREAM = "main/my-run/" + JOB.jobSubmissionId() + "/job";

  @TempDir Path serverDir;
  private FakeCloudWatch cloudWatch;
  private LogStorage storage;

  @BeforeAll
  static void credentials() {
    // the SDK's default chain reads these first; nothing leaves this machine
    System.setProperty("aws.accessKeyId", "AKIATEST");
    System.setProperty("aws.secretAccessKey", "test-secret");
  }

  @BeforeEach
  void start() throws Exception {
    cloudWatch = new FakeCloudWatch(GROUP);
    storage = LogStorageFactory.create(settings(GROUP, cloudWatch.endpoint().toString()));
  }

  @AfterEach
  void stop() {
    storage.close();
    cloudWatch.close();
  }

  private Settings settings(String group, String endpoint) {
    return Settings.from(
        Map.of(
            "DSTACK_SERVER_DIR",
            serverDir.toString(),
            "DSTACK_SERVER_CLOUDWATCH_LOG_GROUP",
            group,
            "DSTACK_SERVER_CLOUDWATCH_LOG_REGION",
            "eu-west-1",
            "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
            endpoint),
        serverDir.toString());
  }

  private static RunnerLogEvent event(long millis, String text) {
    return new RunnerLogEvent(millis, text.getBytes(StandardCharsets.UTF_8));
  }

  private static List<String> messages(LogPage page) {
    return page.events().stream().map(LogEvent::message).toList();
  }

  @Test
  void writesGoToTheJobsStreamMadeOnceAndPagesReadBackWithCloudWatchTokens() {
    assertInstanceOf(CloudWatchLogStorage.class, storage);
    long now = System.currentTimeMillis() - 10_000;
    storage.write(JOB, LogProducer.JOB, List.of(event(now + 2, "two\n"), event(now + 1, "one\n")));
    storage.write(
        JOB, LogProducer.JOB, List.of(event(now + 3, "three\n"), event(now + 4, "four\n")));
    assertEquals(1, cloudWatch.calls("CreateLogStream").size());
    assertEquals(
        STREAM, cloudWatch.calls("CreateLogStream").get(0).body().getString("logStreamName"));
    assertEquals(2, cloudWatch.calls("PutLogEvents").size());
    // sorted by time before sending
    assertEquals(
        now + 1,
        cloudWatch
            .calls("PutLogEvents")
            .get(0)
            .body()
            .getJsonArray("logEvents")
            .getJsonObject(0)
            .getJsonNumber("timestamp")
            .longValue());

    LogPage first = storage.poll(JOB, LogProducer.JOB, new LogQuery(null, null, false, null, 3));
    assertEquals(List.of("one\n", "two\n", "three\n"), messages(first));
    assertEquals("stdout", first.events().get(0).logSource());
    assertEquals(Instant.ofEpochMilli(now + 1), first.events().get(0).timestamp());
    assertTrue(first.externalUrl().contains("region=eu-west-1"), first.externalUrl());
    assertTrue(
        first
            .externalUrl()
            .endsWith("/log-events/main%2Fmy-run%2F" + JOB.jobSubmissionId() + "%2Fjob"));
    LogPage second =
        storage.poll(JOB, LogProducer.JOB, new LogQuery(null, null, false, first.nextToken(), 3));
    assertEquals(List.of("four\n"), messages(second));
    LogPage end =
        storage.poll(JOB, LogProducer.JOB, new LogQuery(null, null, false, second.nextToken(), 3));
    assertEquals(List.of(), messages(end));
    assertNull(end.nextToken(), "the end of the stream has no next token");

    // strictly after start_time, strictly before end_time
    LogPage window =
        storage.poll(
            JOB,
            LogProducer.JOB,
            new LogQuery(
                Instant.ofEpochMilli(now + 1), Instant.ofEpochMilli(now + 4), false, null, 100));
    assertEquals(List.of("two\n", "three\n"), messages(window));
    LogPage newest = storage.poll(JOB, LogProducer.JOB, new LogQuery(null, null, true, null, 2));
    assertEquals(List.of("four\n", "three\n"), messages(newest));
    // the runner's stream is another one, and has nothing
    assertEquals(
        List.of(),
        messages(storage.poll(JOB, LogProducer.RUNNER, new LogQuery(null, null, false, null, 10))));
  }

  @Test
  void aWriteIsSplitIntoCallsWithinCloudWatchsLimits() {
    long now = System.currentTimeMillis();
    List<RunnerLogEvent> many =
        IntStream.range(0, 25_000)
            .mapToObj(i -> event(now - 25_000 + i, "line " + i + "\n"))
            .toList();
    storage.write(JOB, LogProducer.JOB, many);
    List<Integer> sizes =
        cloudWatch.calls("PutLogEvents").stream()
            .map(c -> c.body().getJsonArray("logEvents").size())
            .toList();
    assertEquals(List.of(10_000, 10_000, 5_000), sizes);
    assertEquals(25_000, cloudWatch.streams.get(STREAM).size());
  }

  @Test
  void batchesKeepToTheByteSpanAndAgeLimits() {
    long now = 1_800_000_000_000L;
    String kib100 = "x".repeat(100 * 1024);
    List<RunnerLogEvent> big =
        IntStream.range(0, 25).mapToObj(i -> event(now - 100 + i, kib100)).toList();
    List<List<CloudWatchBatches.Event>> bySize = CloudWatchBatches.split("s", big, now);
    for (List<CloudWatchBatches.Event> batch : bySize) {
      assertTrue(
          batch.stream().mapToInt(CloudWatchBatches.Event::size).sum()
              <= CloudWatchBatches.MAX_BATCH_BYTES);
    }
    assertEquals(List.of(10, 10, 5), bySize.stream().map(List::size).toList());

    List<RunnerLogEvent> mixed =
        new ArrayList<>(
            List.of(
                event(now - 30L * 3600 * 1000, "30 hours ago"),
                event(now - 1000, "a second ago"),
                event(now - 15L * 24 * 3600 * 1000, "15 days ago: too old"),
                event(now + 3L * 3600 * 1000, "3 hours ahead: too new"),
                event(now - 10, ""),
                event(now - 5, "y".repeat(CloudWatchBatches.MAX_EVENT_BYTES))));
    List<List<CloudWatchBatches.Event>> kept = CloudWatchBatches.split("s", mixed, now);
    assertEquals(
        List.of(List.of("30 hours ago"), List.of("a second ago")),
        kept.stream().map(b -> b.stream().map(CloudWatchBatches.Event::message).toList()).toList(),
        "more than 24 h apart: two calls; too old, too new, empty and oversized events left out");
  }

  @Test
  void aDeletedStreamIsMadeAgain() {
    long now = System.currentTimeMillis();
    storage.write(JOB, LogProducer.JOB, List.of(event(now, "before\n")));
    cloudWatch.streams.remove(STREAM);
    storage.write(JOB, LogProducer.JOB, List.of(event(now + 1, "after\n")));
    assertEquals(2, cloudWatch.calls("CreateLogStream").size());
    assertEquals(
        List.of("after\n"),
        cloudWatch.streams.get(STREAM).stream().map(FakeCloudWatch.Stored::message).toList());
  }

  @Test
  void aTokenCloudWatchRefusesIsTheCallersMistake() {
    storage.write(JOB, LogProducer.JOB, List.of(event(System.currentTimeMillis(), "x\n")));
    ApiException e =
        assertThrows(
            ApiException.class,
            () ->
                storage.poll(JOB, LogProducer.JOB, new LogQuery(null, null, false, "garbage", 10)));
    assertTrue(e.getMessage().contains("Invalid next_token"), e.getMessage());
  }

  @Test
  void aMissingOrUnreachableGroupFallsBackToFilesWithOneWarning() throws Exception {
    List<LogRecord> warnings = new ArrayList<>();
    Handler handler =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
              warnings.add(record);
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Logger logger = Logger.getLogger(LogStorageFactory.class.getName());
    logger.addHandler(handler);
    try {
      LogStorage missing =
          LogStorageFactory.create(settings("no-such-group", cloudWatch.endpoint().toString()));
      assertInstanceOf(FileLogStorage.class, missing);
      assertEquals(1, warnings.size());
      assertTrue(
          warnings.get(0).getMessage().contains("LogGroup 'no-such-group' does not exist"),
          warnings.get(0).getMessage());
      assertTrue(warnings.get(0).getMessage().contains("run logs go to files"));

      int closedPort;
      try (var socket = new java.net.ServerSocket(0)) {
        closedPort = socket.getLocalPort();
      }
      LogStorage unreachable =
          LogStorageFactory.create(settings(GROUP, "http://127.0.0.1:" + closedPort));
      assertInstanceOf(FileLogStorage.class, unreachable);
      assertEquals(2, warnings.size());
    } finally {
      logger.removeHandler(handler);
    }
  }
}
