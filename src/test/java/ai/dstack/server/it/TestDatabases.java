package ai.dstack.server.it;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/** Fresh PostgreSQL databases on the machine's local server (CI starts it in {@code .ci/run}). */
public final class TestDatabases {
  /** Admin connection; override with {@code -Dit.pgAdminUrl} where the local server differs. */
  private static final String ADMIN_URL =
      System.getProperty(
          "it.pgAdminUrl", "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres");

  private TestDatabases() {}

  public static boolean postgresRequested() {
    return "postgresql".equals(System.getProperty("it.db", "sqlite"));
  }

  /** Creates an empty database and returns it in upstream's URL form. */
  public static String freshPostgres() {
    String name = "dstack_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection connection = DriverManager.getConnection(ADMIN_URL);
        Statement st = connection.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException(
          "PostgreSQL is needed at "
              + ADMIN_URL
              + " for the PostgreSQL test run: "
              + e.getMessage(),
          e);
    }
    return "postgresql+asyncpg://postgres@127.0.0.1:5432/" + name;
  }

  /** A JDBC URL for a database created by {@link #freshPostgres()}. */
  public static String jdbc(String upstreamUrl) {
    return "jdbc:postgresql://"
        + upstreamUrl.substring(upstreamUrl.indexOf("@") + 1)
        + "?user=postgres";
  }
}
