package ai.dstack.server.db;

import ai.dstack.server.settings.DatabaseUrl;
import ai.dstack.server.settings.DatabaseUrl.Dialect;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.EntityTransaction;
import jakarta.persistence.Persistence;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.logging.Logger;
import org.flywaydb.core.Flyway;

/**
 * The one EntityManagerFactory, built at startup for the chosen database after its schema is
 * migrated. On SQLite every write transaction holds one in-process lock, so writers never meet
 * inside SQLite and "database is locked" cannot reach a user.
 */
public final class Database implements AutoCloseable {
  private static final Logger log = Logger.getLogger(Database.class.getName());
  private static final String SQLITE_PRAGMAS =
      "journal_mode=WAL&foreign_keys=true&busy_timeout=30000&synchronous=NORMAL"
          + "&transaction_mode=IMMEDIATE";

  private final DatabaseUrl url;
  private final EntityManagerFactory emf;
  private final ReentrantLock sqliteWriter = new ReentrantLock(true);
  private final ThreadLocal<int[]> depth = ThreadLocal.withInitial(() -> new int[1]);

  private Database(DatabaseUrl url, EntityManagerFactory emf) {
    this.url = url;
    this.emf = emf;
  }

  /** Refuses upstream's schema, migrates ours (under an advisory lock on PostgreSQL), opens JPA. */
  public static Database open(DatabaseUrl url, int poolSize) {
    loadDriver(url.dialect());
    refuseUpstreamSchema(url);
    String jdbcUrl = connectionUrl(url);
    if (url.dialect() == Dialect.SQLITE) {
      createParentDirectory(url);
      migrate(url, jdbcUrl);
    } else {
      try (Connection lockHolder = DriverManager.getConnection(jdbcUrl, credentials(url))) {
        advisoryLock(lockHolder, "migrations");
        migrate(url, jdbcUrl);
      } catch (SQLException e) {
        throw new DatabaseStartupException(
            "Cannot connect to the database at " + url.display() + ": " + e.getMessage(), e);
      }
    }
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
    return DriverManager.getConnection(connectionUrl(url), credentials(url));
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
          .setParameter(1, advisoryKey(name))
          .getSingleResult();
    }
  }

  @Override
  public void close() {
    if (emf.isOpen()) {
      emf.close();
    }
  }

  /** Same key derivation as upstream: SHA-256 of the name, reduced to a positive 63-bit integer. */
  static long advisoryKey(String name) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
      return ByteBuffer.wrap(digest, digest.length - 8, 8).getLong() & Long.MAX_VALUE;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void advisoryLock(Connection connection, String name) throws SQLException {
    try (PreparedStatement st = connection.prepareStatement("SELECT pg_advisory_lock(?)")) {
      st.setLong(1, advisoryKey(name));
      st.execute();
    }
  }

  private static void migrate(DatabaseUrl url, String jdbcUrl) {
    String folder = url.dialect() == Dialect.SQLITE ? "sqlite" : "postgresql";
    try {
      var result =
          Flyway.configure(Database.class.getClassLoader())
              .dataSource(jdbcUrl, url.user(), url.password())
              .locations("classpath:db/migration/" + folder)
              .load()
              .migrate();
      if (result.migrationsExecuted > 0) {
        log.info(
            "Applied "
                + result.migrationsExecuted
                + " database migration(s), schema version "
                + result.targetSchemaVersion);
      }
    } catch (RuntimeException e) {
      throw new DatabaseStartupException(
          "Database migration failed on " + url.display() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Upstream's Python server keeps its SQLite file at the same default path. Its schema is
   * Alembic's; we never migrate or alter it. The check opens SQLite read-only, so not even WAL mode
   * is set.
   */
  private static void refuseUpstreamSchema(DatabaseUrl url) {
    Properties props = credentials(url);
    String checkUrl = url.jdbcUrl();
    if (url.dialect() == Dialect.SQLITE) {
      Path file = sqliteFile(url);
      if (file == null || !Files.exists(file)) {
        return;
      }
      props.setProperty("open_mode", "1"); // SQLITE_OPEN_READONLY
    }
    String query =
        url.dialect() == Dialect.SQLITE
            ? "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            : "SELECT 1 FROM information_schema.tables WHERE table_name = 'alembic_version'"
                + " AND table_schema = current_schema()";
    try (Connection connection = DriverManager.getConnection(checkUrl, props);
        PreparedStatement st = connection.prepareStatement(query);
        ResultSet rs = st.executeQuery()) {
      if (rs.next()) {
        throw new DatabaseStartupException(
            "The database at "
                + url.display()
                + " holds upstream dstack's schema (table alembic_version); this server does not"
                + " migrate or alter it. Set DSTACK_SERVER_DIR or DSTACK_DATABASE_URL to another"
                + " location.",
            null);
      }
    } catch (SQLException e) {
      throw new DatabaseStartupException(
          "Cannot open the database at " + url.display() + ": " + e.getMessage(), e);
    }
  }

  private static String connectionUrl(DatabaseUrl url) {
    String base = url.jdbcUrl();
    String separator = base.contains("?") ? "&" : "?";
    if (url.dialect() == Dialect.SQLITE) {
      return base + separator + SQLITE_PRAGMAS;
    }
    // ids and timestamps are bound as text; PostgreSQL casts them to uuid/timestamptz itself
    return base + separator + "stringtype=unspecified&ApplicationName=dstack-server";
  }

  private static Path sqliteFile(DatabaseUrl url) {
    String rest = url.jdbcUrl().substring("jdbc:sqlite:".length());
    int query = rest.indexOf('?');
    String path = query < 0 ? rest : rest.substring(0, query);
    if (path.isEmpty() || path.equals(":memory:") || path.startsWith("file:")) {
      return path.startsWith("file:") ? Path.of(path.substring(5)) : null;
    }
    return Path.of(path);
  }

  private static void createParentDirectory(DatabaseUrl url) {
    Path file = sqliteFile(url);
    if (file != null && file.toAbsolutePath().getParent() != null) {
      try {
        Files.createDirectories(file.toAbsolutePath().getParent());
      } catch (java.io.IOException e) {
        throw new DatabaseStartupException(
            "Cannot create the directory of " + file + ": " + e.getMessage(), e);
      }
    }
  }

  private static Properties credentials(DatabaseUrl url) {
    Properties props = new Properties();
    if (url.user() != null) {
      props.setProperty("user", url.user());
    }
    if (url.password() != null) {
      props.setProperty("password", url.password());
    }
    return props;
  }

  private static void loadDriver(Dialect dialect) {
    // inside a WAR the JDBC drivers are not visible to DriverManager's service loading
    try {
      Class.forName(dialect == Dialect.SQLITE ? "org.sqlite.JDBC" : "org.postgresql.Driver");
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(e);
    }
  }
}
