package ai.dstack.server.it.lifecycle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.it.DstackServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Upstream's Python server keeps its SQLite file at our default path: it is never touched. */
class UpstreamDatabaseIT {
  @TempDir Path home;

  @Test
  void launcherRefusesUpstreamsDatabaseInOneLineAndLeavesItUntouched() throws Exception {
    Path db = home.resolve("server/data/sqlite.db");
    Files.createDirectories(db.getParent());
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)");
      st.execute("INSERT INTO alembic_version VALUES ('a1b2c3d4e5f6')");
      st.execute("CREATE TABLE users (id CHAR(32) PRIMARY KEY, name VARCHAR(50))");
    }
    byte[] before = Files.readAllBytes(db);

    try (DstackServer server = new DstackServer(home).viaLauncher()) {
      server.startProcess();
      assertEquals(1, server.awaitExit(), "the launcher exits non-zero");
      String log = server.logText();
      assertTrue(
          log.contains(
              "dstack-server: the server failed to start: The database at jdbc:sqlite:"
                  + db
                  + " holds upstream dstack's schema (table alembic_version)"),
          log);
      assertFalse(log.contains("The admin token is"), log);
    }
    assertArrayEquals(before, Files.readAllBytes(db), "not one byte changed");
    assertFalse(Files.exists(Path.of(db + "-wal")), "not even opened for writing");
  }
}
