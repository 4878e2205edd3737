package ai.dstack.server.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;

class SettingsTest {
  @Test
  void defaultsAreUpstreamsDstackServerDefaults() {
    Settings s = Settings.from(Map.of(), "/home/u");
    assertEquals(Path.of("/home/u/.dstack/server"), s.serverDir());
    assertEquals("127.0.0.1", s.host());
    assertEquals(3000, s.port());
    assertEquals("http://127.0.0.1:3000", s.serverUrl());
    assertEquals(DatabaseUrl.Dialect.SQLITE, s.database().dialect());
    assertEquals("jdbc:sqlite:/home/u/.dstack/server/data/sqlite.db", s.database().jdbcUrl());
    assertEquals(Level.INFO, s.logLevel());
    assertNull(s.adminToken());
    assertFalse(s.configDisabled());
    assertFalse(s.backgroundProcessingDisabled());
    assertFalse(s.defaultCredsDisabled());
    assertEquals("~/.dstack/server/config.yml", s.displayed(s.serverDir().resolve("config.yml")));
    assertEquals("/srv/config.yml", s.displayed(Path.of("/srv/config.yml")));
  }

  @Test
  void flagsArePresenceOnlyAndTheUrlFollowsHostAndPort() {
    Settings s =
        Settings.from(
            Map.of(
                "DSTACK_SERVER_HOST", "0.0.0.0",
                "DSTACK_SERVER_PORT", "8080",
                "DSTACK_SERVER_CONFIG_DISABLED", "",
                "DSTACK_SERVER_BACKGROUND_PROCESSING_DISABLED", "",
                "DSTACK_DEFAULT_CREDS_DISABLED", "",
                "DSTACK_SERVER_DIR", "~/state",
                "DSTACK_SERVER_LOG_LEVEL", "debug",
                "DSTACK_SERVER_LOG_FORMAT", "json"),
            "/home/u");
    assertEquals("http://0.0.0.0:8080", s.serverUrl());
    assertTrue(s.configDisabled());
    assertTrue(s.backgroundProcessingDisabled());
    assertTrue(s.defaultCredsDisabled());
    assertEquals(Path.of("/home/u/state"), s.serverDir());
    assertEquals(Level.FINE, s.logLevel());
    assertEquals(Settings.LogFormat.JSON, s.logFormat());
  }

  @Test
  void badValuesAreOneLineErrorsNamingTheVariable() {
    var port =
        assertThrows(
            InvalidSettingException.class,
            () -> Settings.from(Map.of("DSTACK_SERVER_PORT", "http"), "/h"));
    assertEquals("DSTACK_SERVER_PORT must be an integer, got 'http'", port.getMessage());
    var level =
        assertThrows(
            InvalidSettingException.class,
            () -> Settings.from(Map.of("DSTACK_SERVER_LOG_LEVEL", "LOUD"), "/h"));
    assertTrue(level.getMessage().startsWith("DSTACK_SERVER_LOG_LEVEL must be one of"));
  }

  @Test
  void postgresUrlsInUpstreamsPlainAndJdbcForms() {
    DatabaseUrl upstream =
        DatabaseUrl.parse("postgresql+asyncpg://dstack:p%40ss@db.example:5433/dstack");
    assertEquals(DatabaseUrl.Dialect.POSTGRESQL, upstream.dialect());
    assertEquals("jdbc:postgresql://db.example:5433/dstack", upstream.jdbcUrl());
    assertEquals("dstack", upstream.user());
    assertEquals("p@ss", upstream.password());

    DatabaseUrl plain = DatabaseUrl.parse("postgresql://u@localhost/db?sslmode=require");
    assertEquals("jdbc:postgresql://localhost/db?sslmode=require", plain.jdbcUrl());
    assertNull(plain.password());

    DatabaseUrl jdbc = DatabaseUrl.parse("jdbc:postgresql://h:5432/db?user=a&password=secret");
    assertEquals("jdbc:postgresql://h:5432/db?user=a&password=secret", jdbc.jdbcUrl());
    assertEquals("jdbc:postgresql://h:5432/db?user=a&password=***", jdbc.display());

    assertEquals(
        "jdbc:sqlite:/abs/x.db", DatabaseUrl.parse("sqlite+aiosqlite:////abs/x.db").jdbcUrl());
  }

  @Test
  void unsupportedDatabasesAreRefusedWithoutShowingThePassword() {
    var e =
        assertThrows(
            InvalidSettingException.class,
            () -> DatabaseUrl.parse("mysql://root:hunter2@localhost/db"));
    assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    assertTrue(e.getMessage().contains("only postgresql and sqlite are supported"));
  }
}
