package ai.dstack.server.db;

import ai.dstack.server.settings.DatabaseUrl;
import ai.dstack.server.settings.DatabaseUrl.Dialect;
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
import java.util.Properties;
import java.util.logging.Logger;
import org.flywaydb.core.Flyway;

/**
 * The database below JPA: connection URLs and our Flyway schema. Plain JDBC only, so that the
 * database tool runs it outside the container as well.
 */
public final class Schema {
  private static final Logger log = Logger.getLogger(Schema.class.getName());
  private static final String SQLITE_PRAGMAS =
      "journal_mode=WAL&foreign_keys=true&busy_timeout=30000&synchronous=NORMAL"
          + "&transaction_mode=IMMEDIATE";

  private Schema() {}

  /** Refuses upstream's schema, then migrates ours (under an advisory lock on PostgreSQL). */
  public static void prepare(DatabaseUrl url) {
    loadDriver(url.dialect());
    refuseUpstreamSchema(url);
    String jdbcUrl = connectionUrl(url);
    if (url.dialect() == Dialect.SQLITE) {
      createParentDirectory(url);
      migrate(url, jdbcUrl);
      return;
    }
    try (Connection lockHolder = DriverManager.getConnection(jdbcUrl, credentials(url))) {
      advisoryLock(lockHolder, "migrations");
      migrate(url, jdbcUrl);
    } catch (SQLException e) {
      throw new DatabaseStartupException(
          "Cannot connect to the database at " + url.display() + ": " + e.getMessage(), e);
    }
  }

  /** A JDBC connection as the server opens them (SQLite pragmas, PostgreSQL text binding). */
  public static Connection connect(DatabaseUrl url) throws SQLException {
    loadDriver(url.dialect());
    return DriverManager.getConnection(connectionUrl(url), credentials(url));
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

  static String connectionUrl(DatabaseUrl url) {
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

  static Properties credentials(DatabaseUrl url) {
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
