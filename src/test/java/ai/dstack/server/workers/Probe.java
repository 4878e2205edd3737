package ai.dstack.server.workers;

import ai.dstack.server.db.Database;
import ai.dstack.server.db.InstantText;
import ai.dstack.server.db.Times;
import ai.dstack.server.settings.DatabaseUrl;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import org.flywaydb.core.Flyway;

/**
 * A test-only resource for the engine: {@code probe_rows} are processed by {@link Pipeline}, which
 * records each processing (who, when, whether a connection was held) in {@code probe_records}.
 */
final class Probe implements Pipeline<String> {
  private final Database db;
  private final String owner;
  private final PipelineSettings settings;
  private final Duration work;

  /** The eligibility condition; tests break it to make fetches fail. */
  volatile String eligible = "status = 'ACTIVE'";

  /** Runs inside the process step, after the work; tests use it to interfere. */
  volatile Consumer<Lease> duringProcess = lease -> {};

  Probe(Database db, String owner, PipelineSettings settings, Duration work) {
    this.db = db;
    this.owner = owner;
    this.settings = settings;
    this.work = work;
  }

  /** Creates the probe tables (test migrations, their own history table). */
  static void createTables(DatabaseUrl url) {
    String dialect = url.dialect() == DatabaseUrl.Dialect.SQLITE ? "sqlite" : "postgresql";
    Flyway.configure()
        .dataSource(url.jdbcUrl(), url.user(), url.password())
        .locations("classpath:db/testmigration/" + dialect)
        .table("flyway_probe_history")
        .baselineOnMigrate(true)
        .baselineVersion("0")
        .load()
        .migrate();
  }

  static List<String> insertRows(Database db, int count) {
    List<String> ids = new ArrayList<>();
    String now = InstantText.format(Times.now().minusSeconds(3600));
    db.txRun(
        em -> {
          for (int i = 0; i < count; i++) {
            String id = UUID.randomUUID().toString();
            ids.add(id);
            em.createNativeQuery(
                    "INSERT INTO probe_rows (id, status, last_processed_at) VALUES (?, 'ACTIVE', ?)")
                .setParameter(1, id)
                .setParameter(2, now)
                .executeUpdate();
          }
        });
    return ids;
  }

  /** row id → how many times it was processed. */
  static Map<String, Long> counts(Database db) {
    return db.read(
        em -> {
          Map<String, Long> counts = new java.util.HashMap<>();
          for (Object row :
              em.createNativeQuery("SELECT row_id FROM probe_records").getResultList()) {
            counts.merge(row.toString(), 1L, Long::sum);
          }
          return counts;
        });
  }

  static long count(Database db, String where) {
    return db.read(
        em ->
            ((Number)
                    em.createNativeQuery("SELECT COUNT(*) FROM probe_records WHERE " + where)
                        .getSingleResult())
                .longValue());
  }

  @Override
  public String name() {
    return "probe";
  }

  @Override
  public String table() {
    return "probe_rows";
  }

  @Override
  public String eligible() {
    return eligible;
  }

  @Override
  public PipelineSettings defaults() {
    return settings;
  }

  @Override
  public String load(EntityManager em, Lease lease) {
    List<?> related =
        em.createNativeQuery("SELECT related_id FROM probe_rows WHERE id = ?")
            .setParameter(1, lease.id())
            .getResultList();
    if (related.isEmpty()) {
      return null;
    }
    Object relatedId = related.get(0);
    if (relatedId != null && !lease.lockRelated(em, "probe_rows", relatedId.toString())) {
      throw new Lease.Busy("related row " + relatedId + " is leased");
    }
    return lease.id();
  }

  @Override
  public Apply process(String id, Lease lease) throws InterruptedException {
    boolean held = db.inUseByCurrentThread();
    if (!work.isZero()) {
      Thread.sleep(work.toMillis());
    }
    duringProcess.accept(lease);
    Instant at = Times.now();
    return em -> record(em, id, held, at);
  }

  private void record(EntityManager em, String id, boolean held, Instant at) {
    em.createNativeQuery(
            "INSERT INTO probe_records (row_id, owner, processed_at, held_connection)"
                + " VALUES (?, ?, ?, ?)")
        .setParameter(1, id)
        .setParameter(2, owner)
        .setParameter(3, InstantText.format(at))
        .setParameter(4, held)
        .executeUpdate();
  }
}
