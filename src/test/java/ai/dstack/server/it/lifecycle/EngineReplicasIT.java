package ai.dstack.server.it.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.it.TestDatabases;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several engine processes on one PostgreSQL database, running the probe pipeline (a test-only
 * table): they share the work without ever processing a row twice, and the rows of a replica killed
 * with SIGKILL are taken over once its leases expire.
 */
class EngineReplicasIT {
  private static final long LEASE_MS = 3000;
  private static final long IDLE_MS = 500;

  /** The test classpath in full (failsafe's own java.class.path is only its booter jar). */
  private static final String CLASSPATH =
      System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));

  @TempDir Path logs;
  private final List<Process> processes = new ArrayList<>();

  @AfterEach
  void killAll() {
    processes.forEach(Process::destroyForcibly);
  }

  private Process replica(String db, String name, long workMs) throws IOException {
    return replica(db, name, workMs, 10);
  }

  private Process replica(String db, String name, long workMs, int workers) throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m",
                "-cp",
                CLASSPATH,
                "ai.dstack.server.workers.ProbeReplica",
                "--db",
                db,
                "--name",
                name,
                "--work-ms",
                String.valueOf(workMs),
                "--workers",
                String.valueOf(workers),
                "--lease-ms",
                String.valueOf(LEASE_MS),
                "--idle-ms",
                String.valueOf(IDLE_MS)));
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(logs.resolve(name + "-" + System.nanoTime() + ".log").toFile())
            .start();
    processes.add(process);
    return process;
  }

  /** A database with the probe tables and {@code rows} rows to process. */
  private static String prepared(int rows) throws Exception {
    String db = TestDatabases.freshPostgres();
    Process setup =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                CLASSPATH,
                "ai.dstack.server.workers.ProbeReplica",
                "--db",
                db,
                "--name",
                "setup",
                "--rows",
                String.valueOf(rows),
                "--until",
                "0")
            .inheritIO()
            .start();
    assertTrue(setup.waitFor(120, TimeUnit.SECONDS));
    assertEquals(0, setup.exitValue());
    return db;
  }

  private static List<Map<String, Object>> query(String db, String sql) throws SQLException {
    List<Map<String, Object>> rows = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(TestDatabases.jdbc(db));
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        Map<String, Object> row = new HashMap<>();
        for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
          row.put(rs.getMetaData().getColumnLabel(i), rs.getObject(i));
        }
        rows.add(row);
      }
    }
    return rows;
  }

  private static long count(String db, String sql) throws SQLException {
    return ((Number) query(db, sql).get(0).values().iterator().next()).longValue();
  }

  /** The replicas' output, for a failure message. */
  private String logs() {
    StringBuilder text = new StringBuilder();
    try (var files = Files.list(logs)) {
      for (Path file : files.sorted().toList()) {
        text.append("\n--- ")
            .append(file.getFileName())
            .append('\n')
            .append(Files.readString(file));
      }
    } catch (IOException e) {
      text.append("\n(logs unreadable: ").append(e).append(')');
    }
    return text.toString();
  }

  private void awaitAll(String db, int rows, long timeoutSeconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (count(db, "SELECT COUNT(DISTINCT row_id) AS n FROM probe_records") < rows) {
      assertTrue(
          System.nanoTime() < deadline, () -> "rows were not all processed in time" + logs());
      Thread.sleep(100);
    }
  }

  /**
   * Rows per second from the moment every replica has processed its first row (a replica JVM that
   * starts later must not count as a slow one) to the last record.
   */
  private static double throughput(String db) throws SQLException {
    Map<Object, Long> firstByOwner = new java.util.HashMap<>();
    List<Long> times = new java.util.ArrayList<>();
    for (Map<String, Object> record : query(db, "SELECT owner, processed_at FROM probe_records")) {
      long at = ((Timestamp) record.get("processed_at")).getTime();
      times.add(at);
      firstByOwner.merge(record.get("owner"), at, Math::min);
    }
    long start = java.util.Collections.max(firstByOwner.values());
    long last = java.util.Collections.max(times);
    long counted = times.stream().filter(t -> t >= start).count();
    return counted / ((last - start) / 1000.0);
  }

  private static void assertEachRowOnce(String db, int rows) throws SQLException {
    assertEquals(rows, count(db, "SELECT COUNT(*) AS n FROM probe_records"), "no row twice");
    assertEquals(rows, count(db, "SELECT COUNT(DISTINCT row_id) AS n FROM probe_records"));
  }

  @Test
  void twoReplicasShareTheWorkNeverProcessARowTwiceAndGoFasterThanOne() throws Exception {
    int rows = 600;
    String alone = prepared(rows);
    replica(alone, "solo", 100);
    awaitAll(alone, rows, 120);
    assertEachRowOnce(alone, rows);

    String shared = prepared(rows);
    replica(shared, "A", 100);
    replica(shared, "B", 100);
    awaitAll(shared, rows, 120);
    assertEachRowOnce(shared, rows);
    Set<Object> owners = new HashSet<>();
    query(shared, "SELECT DISTINCT owner FROM probe_records")
        .forEach(r -> owners.add(r.get("owner")));
    assertEquals(Set.of("A", "B"), owners, "both replicas processed rows");

    double one = throughput(alone);
    double two = throughput(shared);
    assertTrue(two > 1.3 * one, "two replicas: " + two + " rows/s, one: " + one + " rows/s");
  }

  @Test
  void theRowsOfAKilledReplicaAreTakenOverOnceItsLeasesExpire() throws Exception {
    // A (10 workers) claims all 20 rows, twice its workers; 10 rows added once B runs go to B (20
    // workers), which keeps room for A's 20. The work outlasts the setup, so A dies mid-work.
    long workMs = 15000;
    String db = prepared(20);
    Process a = replica(db, "A", workMs, 10);
    awaitLeased(db, "probe@A", 20);
    replica(db, "B", workMs, 20);
    awaitStarted("B");
    execute(
        db,
        "INSERT INTO probe_rows (id, status, last_processed_at) SELECT gen_random_uuid(),"
            + " 'ACTIVE', now() - interval '1 hour' FROM generate_series(1, 10)");
    int rows = 30;
    awaitLeased(db, "probe@B", 10);

    List<Object> orphaned = new ArrayList<>();
    a.destroyForcibly().waitFor();
    long killedAt = System.nanoTime();
    query(db, "SELECT id FROM probe_rows WHERE lock_owner = 'probe@A' AND lock_token IS NOT NULL")
        .forEach(r -> orphaned.add(r.get("id")));
    assertFalse(orphaned.isEmpty(), "A held rows when it died");

    String inList = orphaned.stream().map(id -> "'" + id + "'").reduce((x, y) -> x + "," + y).get();
    while (count(
            db,
            "SELECT COUNT(*) AS n FROM probe_rows WHERE id IN ("
                + inList
                + ") AND (lock_owner = 'probe@B' OR id IN (SELECT row_id FROM probe_records))")
        < orphaned.size()) {
      assertTrue(
          System.nanoTime() - killedAt < TimeUnit.SECONDS.toNanos(30), "A's rows not taken over");
      Thread.sleep(50);
    }
    long takenOverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
    // the leases were extended at most a third of a timeout before the kill
    assertTrue(
        takenOverMs <= LEASE_MS + IDLE_MS + 1500,
        "taken over after " + takenOverMs + " ms (lease " + LEASE_MS + " ms)");

    awaitAll(db, rows, 60);
    assertEachRowOnce(db, rows);
    assertEquals(
        0,
        count(db, "SELECT COUNT(*) AS n FROM probe_records WHERE owner = 'A'"),
        "A never finished a row");
  }

  private void awaitStarted(String name) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!logs().contains("--- " + name + "-") || !logOf(name).contains("started")) {
      assertTrue(System.nanoTime() < deadline, () -> name + " did not start" + logs());
      Thread.sleep(100);
    }
  }

  private String logOf(String name) throws IOException {
    try (var files = Files.list(logs)) {
      Path log =
          files
              .filter(f -> f.getFileName().toString().startsWith(name + "-"))
              .findFirst()
              .orElseThrow();
      return Files.readString(log);
    }
  }

  private static void execute(String db, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(TestDatabases.jdbc(db));
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  private void awaitLeased(String db, String owner, int rows) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (count(db, "SELECT COUNT(*) AS n FROM probe_rows WHERE lock_owner = '" + owner + "'")
        < rows) {
      assertTrue(
          System.nanoTime() < deadline, () -> owner + " did not lease " + rows + " rows" + logs());
      Thread.sleep(50);
    }
  }
}
