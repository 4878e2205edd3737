package ai.dstack.server.db;

import ai.dstack.server.settings.DatabaseUrl;
import ai.dstack.server.settings.DatabaseUrl.Dialect;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.EntityTransaction;
import jakarta.persistence.Persistence;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * The one EntityManagerFactory, built at startup for the chosen database after its schema is
 * migrated. On SQLite every write transaction holds one in-process lock, so writers never meet
 * inside SQLite and "database is locked" cannot reach a user.
 */
public final class Database implements AutoCloseable {
  private static final Logger log = Logger.getLogger(Database.class.getName());

  private final DatabaseUrl url;
  private final EntityManagerFactory emf;
  private final ReentrantLock sqliteWriter = new ReentrantLock(true);
  private final ThreadLocal<int[]> depth = ThreadLocal.withInitial(() -> new int[1]);

  private Database(DatabaseUrl url, EntityManagerFactory emf) {
    this.url = url;
    this.emf = emf;
  }

  /** Prepares the schema ({@link Schema#prepare}) and opens JPA on it. */
  public static Database open(DatabaseUrl url, int poolSize) {
    Schema.prepare(url);
    String jdbcUrl = Schema.connectionUrl(url);
    Map<String, Object> props = new HashMap<>();
    props.put("jakarta.persistence.transactionType", "RESOURCE_LOCAL");
    props.put("jakarta.persistence.jdbc.url", jdbcUrl);
    props.put(
        "jakarta.persistence.jdbc.driver",
        url.dialect() == Dialect.SQLITE ? "org.sqlite.JDBC" : "org.postgresql.Driver");
    if (url.user() != null) {
      props.put("jakarta.persistence.jdbc.user", url.user());
    }
    if (url.password() != null) {
      props.put("jakarta.persistence.jdbc.password", url.password());
    }
    props.put(
        "eclipselink.target-database",
        url.dialect() == Dialect.SQLITE
            ? SQLitePlatform.class.getName()
            : "org.eclipse.persistence.platform.database.PostgreSQLPlatform");
    int max = url.dialect() == Dialect.SQLITE ? 4 : Math.max(2, poolSize);
    props.put("eclipselink.connection-pool.default.initial", "1");
    // connections opened under load stay open: EclipseLink closes any above "min" on release and
    // opens them again under its pool lock, which serialised busy workers on connection setup
    props.put("eclipselink.connection-pool.default.min", String.valueOf(max));
    props.put("eclipselink.connection-pool.default.max", String.valueOf(max));
    props.put("eclipselink.session-name", "dstack");
    props.put("eclipselink.ddl-generation", "none");
    props.put("eclipselink.weaving", "false");
    // other replicas and background workers change rows: never serve them from a shared cache
    props.put("eclipselink.cache.shared.default", "false");
    props.put("eclipselink.logging.level", "WARNING");
    EntityManagerFactory emf = Persistence.createEntityManagerFactory("dstack", props);
    Database database = new Database(url, emf);
    database.read(em -> em.createNativeQuery("SELECT 1").getSingleResult());
    return database;
  }

  public Dialect dialect() {
    return url.dialect();
  }

  /**
   * A connection of its own, outside the pool, for long-lived uses such as PostgreSQL's {@code
   * LISTEN}; the caller closes it.
   */
  public Connection openDedicatedConnection() throws SQLException {
    return DriverManager.getConnection(Schema.connectionUrl(url), Schema.credentials(url));
  }

  /**
   * Whether this thread is inside {@link #tx} or {@link #read}, i.e. may hold a connection: the
   * background engine checks that slow work runs with none.
   */
  public boolean inUseByCurrentThread() {
    return depth.get()[0] > 0;
  }

  public <T> T tx(Function<EntityManager, T> work) {
    boolean sqlite = url.dialect() == Dialect.SQLITE;
    if (sqlite) {
      sqliteWriter.lock();
    }
    depth.get()[0]++;
    EntityManager em = emf.createEntityManager();
    EntityTransaction tx = em.getTransaction();
    try {
      tx.begin();
      T result = work.apply(em);
      tx.commit();
      return result;
    } finally {
      if (tx.isActive()) {
        tx.rollback();
      }
      em.close();
      depth.get()[0]--;
      if (sqlite) {
        sqliteWriter.unlock();
      }
    }
  }

  public void txRun(Consumer<EntityManager> work) {
    tx(
        em -> {
          work.accept(em);
          return null;
        });
  }

  /** Reads outside a transaction: never blocked by writers (WAL on SQLite). */
  public <T> T read(Function<EntityManager, T> work) {
    depth.get()[0]++;
    EntityManager em = emf.createEntityManager();
    try {
      return work.apply(em);
    } finally {
      em.close();
      depth.get()[0]--;
    }
  }

  /**
   * Serialises this transaction against other replicas doing the same named thing (PostgreSQL
   * {@code pg_advisory_xact_lock}); SQLite runs one replica and already has one writer.
   */
  public void advisoryXactLock(EntityManager em, String name) {
    if (url.dialect() == Dialect.POSTGRESQL) {
      em.createNativeQuery("SELECT pg_advisory_xact_lock(?1)")
          .setParameter(1, Schema.advisoryKey(name))
          .getSingleResult();
    }
  }

  @Override
  public void close() {
    if (emf.isOpen()) {
      emf.close();
    }
  }
}
