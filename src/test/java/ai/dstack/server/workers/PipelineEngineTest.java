package ai.dstack.server.workers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.db.Database;
import ai.dstack.server.it.TestDatabases;
import ai.dstack.server.settings.DatabaseUrl;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The engine in this JVM on both databases, with the probe resource. */
class PipelineEngineTest {
  @TempDir static Path dir;

  static Stream<Arguments> databases() {
    return Stream.of(
        Arguments.of(DatabaseUrl.sqlite(dir.resolve(UUID.randomUUID() + ".db"))),
        Arguments.of(DatabaseUrl.parse(TestDatabases.freshPostgres())));
  }

  /** Fast settings: a row is eligible again only after an hour, so each is processed once. */
  private static PipelineSettings settings(int workers, Duration leaseTimeout) {
    return new PipelineSettings(workers, Duration.ofHours(1), leaseTimeout, Duration.ofMillis(200));
  }

  private static Database open(DatabaseUrl url) {
    Database db = Database.open(url, 12);
    Probe.createTables(url);
    return db;
  }

  private static PipelineEngine engine(Database db, Probe probe) {
    PipelineEngine engine =
        new PipelineEngine(db, Executors.defaultThreadFactory(), "test", Map.of());
    engine.register(probe);
    return engine;
  }

  private static void await(String what, Duration timeout, BooleanSupplier done)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(50);
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void aThousandRowsAreEachProcessedExactlyOnceWithNoConnectionHeldWhileProcessing(DatabaseUrl url)
      throws Exception {
    try (Database db = open(url)) {
      List<String> ids = Probe.insertRows(db, 1000);
      Probe probe = new Probe(db, "a", settings(8, Duration.ofSeconds(10)), Duration.ZERO);
      PipelineEngine engine = engine(db, probe);
      engine.start();
      try {
        await("1000 records", Duration.ofSeconds(60), () -> Probe.count(db, "1 = 1") >= 1000);
        // another second of fetching must not process anything again inside the window
        Thread.sleep(1000);
      } finally {
        engine.stop();
      }
      Map<String, Long> counts = Probe.counts(db);
      assertEquals(1000, counts.size());
      for (String id : ids) {
        assertEquals(1L, counts.get(id), "row " + id);
      }
      assertEquals(0, Probe.count(db, "held_connection = " + trueLiteral(url)));
      long leased =
          db.read(
              em ->
                  ((Number)
                          em.createNativeQuery(
                                  "SELECT COUNT(*) FROM probe_rows WHERE lock_token IS NOT NULL")
                              .getSingleResult())
                      .longValue());
      assertEquals(0, leased, "every lease released");
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void aLostLeaseMakesApplyANoOp(DatabaseUrl url) throws Exception {
    try (Database db = open(url)) {
      String id = Probe.insertRows(db, 1).get(0);
      Probe probe = new Probe(db, "a", settings(1, Duration.ofSeconds(10)), Duration.ZERO);
      String stolen = UUID.randomUUID().toString();
      probe.duringProcess =
          lease ->
              db.txRun(
                  em ->
                      em.createNativeQuery("UPDATE probe_rows SET lock_token = ? WHERE id = ?")
                          .setParameter(1, stolen)
                          .setParameter(2, lease.id())
                          .executeUpdate());
      PipelineEngine engine = engine(db, probe);
      engine.start();
      try {
        await("the token to change", Duration.ofSeconds(20), () -> stolen.equals(token(db, id)));
        Thread.sleep(1000);
      } finally {
        engine.stop();
      }
      assertEquals(0, Probe.count(db, "1 = 1"), "the result was dropped");
      assertEquals(stolen, token(db, id), "the new holder's lease is untouched");
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void theHeartbeatKeepsALeaseLongerThanItsTimeoutAndRelatedRowsAreLeasedAndReleased(
      DatabaseUrl url) throws Exception {
    try (Database db = open(url)) {
      List<String> ids = Probe.insertRows(db, 2);
      String related = ids.get(1);
      db.txRun(
          em ->
              em.createNativeQuery(
                      "UPDATE probe_rows SET related_id = ?, status = 'ACTIVE' WHERE id = ?")
                  .setParameter(1, related)
                  .setParameter(2, ids.get(0))
                  .executeUpdate());
      db.txRun(
          em ->
              em.createNativeQuery("UPDATE probe_rows SET status = 'DONE' WHERE id = ?")
                  .setParameter(1, related)
                  .executeUpdate());
      // processing takes three lease timeouts: only the heartbeat keeps the lease alive
      Probe probe =
          new Probe(db, "a", settings(4, Duration.ofMillis(600)), Duration.ofMillis(1800));
      String[] relatedTokenDuringWork = new String[1];
      probe.duringProcess = lease -> relatedTokenDuringWork[0] = token(db, related);
      PipelineEngine engine = engine(db, probe);
      engine.start();
      try {
        await("one record", Duration.ofSeconds(20), () -> Probe.count(db, "1 = 1") >= 1);
        Thread.sleep(1500);
      } finally {
        engine.stop();
      }
      assertEquals(1, Probe.count(db, "1 = 1"), "processed once, never taken over");
      assertNotNull(relatedTokenDuringWork[0], "the related row was leased while working");
      assertNull(token(db, related), "and released with the row");
      assertNull(token(db, ids.get(0)));
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void aFailingProcessStepReleasesTheRowUntilItsNextWindow(DatabaseUrl url) throws Exception {
    try (Database db = open(url)) {
      String id = Probe.insertRows(db, 1).get(0);
      String before = lastProcessed(db, id);
      Probe probe = new Probe(db, "a", settings(1, Duration.ofSeconds(10)), Duration.ZERO);
      probe.duringProcess =
          lease -> {
            throw new IllegalStateException("host unreachable");
          };
      PipelineEngine engine = engine(db, probe);
      engine.start();
      try {
        await(
            "the row to be released",
            Duration.ofSeconds(20),
            () -> !before.equals(lastProcessed(db, id)));
      } finally {
        engine.stop();
      }
      assertNull(token(db, id));
      assertEquals(0, Probe.count(db, "1 = 1"));
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void aHintWakesAnIdleFetcherAtOnceAlsoFromAnotherReplicaOnPostgres(DatabaseUrl url)
      throws Exception {
    try (Database db = open(url)) {
      // idle pauses grow to a minute: only a hint explains a prompt pick-up
      PipelineSettings lazy =
          new PipelineSettings(
              2, Duration.ofHours(1), Duration.ofSeconds(10), Duration.ofMinutes(1));
      PipelineEngine engine = engine(db, new Probe(db, "a", lazy, Duration.ZERO));
      // a replica without the pipeline: its hint reaches the first only through NOTIFY
      PipelineEngine other =
          new PipelineEngine(db, Executors.defaultThreadFactory(), "other", Map.of());
      engine.start();
      other.start();
      try {
        Thread.sleep(4500); // empty fetches at 0.5, 1 and 2 s; now pausing for a minute
        Probe.insertRows(db, 1);
        long hinted = System.nanoTime();
        if (url.dialect() == DatabaseUrl.Dialect.POSTGRESQL) {
          other.hint("probe");
        } else {
          engine.hint("probe");
        }
        await("the hinted row", Duration.ofSeconds(20), () -> Probe.count(db, "1 = 1") == 1);
        long ms = (System.nanoTime() - hinted) / 1_000_000;
        assertTrue(ms < 5000, "processed " + ms + " ms after the hint");
      } finally {
        engine.stop();
        other.stop();
      }
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void failedFetchesAreRetriedWithoutLosingCapacity(DatabaseUrl url) throws Exception {
    try (Database db = open(url)) {
      Probe.insertRows(db, 3);
      Probe probe = new Probe(db, "a", settings(1, Duration.ofSeconds(10)), Duration.ZERO);
      probe.eligible = "no_such_column = 1";
      PipelineEngine engine = engine(db, probe);
      engine.start();
      try {
        Thread.sleep(700); // several fetches fail meanwhile
        probe.eligible = "status = 'ACTIVE'";
        await("all rows", Duration.ofSeconds(20), () -> Probe.count(db, "1 = 1") == 3);
      } finally {
        engine.stop();
      }
    }
  }

  private static String trueLiteral(DatabaseUrl url) {
    return url.dialect() == DatabaseUrl.Dialect.SQLITE ? "1" : "TRUE";
  }

  private static String token(Database db, String id) {
    Object token =
        db.read(
            em ->
                em.createNativeQuery("SELECT lock_token FROM probe_rows WHERE id = ?")
                    .setParameter(1, id)
                    .getSingleResult());
    return token == null ? null : token.toString();
  }

  private static String lastProcessed(Database db, String id) {
    return db.read(
            em ->
                em.createNativeQuery("SELECT last_processed_at FROM probe_rows WHERE id = ?")
                    .setParameter(1, id)
                    .getSingleResult())
        .toString();
  }
}
