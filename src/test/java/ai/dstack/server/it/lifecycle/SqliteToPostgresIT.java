package ai.dstack.server.it.lifecycle;

import static ai.dstack.server.it.Expect.body;
import static ai.dstack.server.it.Expect.member;
import static ai.dstack.server.it.Expect.ok;
import static ai.dstack.server.it.Expect.okArray;
import static ai.dstack.server.it.Expect.okNull;
import static ai.dstack.server.it.lifecycle.LoopbackFleet.commands;
import static ai.dstack.server.it.lifecycle.LoopbackFleet.finished;
import static ai.dstack.server.it.lifecycle.LoopbackFleet.taskSpec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.it.Api;
import ai.dstack.server.it.DstackServer;
import ai.dstack.server.it.TestDatabases;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Moving a server's SQLite state to PostgreSQL, as README's "Server deployment" describes: with
 * Debian's pgloader after {@code scripts/dstack-db schema}, and with {@code scripts/dstack-db
 * copy-sqlite}. The state comes from a real server (users, projects, members, secrets and a backend
 * encrypted with an AES key, an SSH fleet, a finished run with logs, events); afterwards a server
 * on the PostgreSQL database, with the same state directory, sees all of it.
 */
class SqliteToPostgresIT {
  private static final String CONFIG =
      "projects:\n- name: main\nencryption:\n  keys:\n"
          + "  - {type: aes, name: k1, secret: 'cR2qG8bSv0hT3Zk5mW7yQ1xN4pL6jF9dA0sE2uI8oBc='}\n";
  private static Path home;
  private static Path sqlite;
  private static String adminToken;
  private static String migrantToken;
  private static Map<String, Long> sqliteCounts;

  @BeforeAll
  static void fillAServerOnSqlite() throws Exception {
    try (LoopbackFleet fleet = LoopbackFleet.builder("migrate").configYml(CONFIG).start()) {
      Api api = fleet.api();
      adminToken = api.adminToken();
      migrantToken = api.createUser("migrant", "user");
      ok(api.createProject(adminToken, "moved"));
      ok(
          api.post(
              "/api/projects/moved/add_members",
              Json.createObjectBuilder()
                  .add("members", Json.createArrayBuilder().add(member("migrant", "manager")))
                  .build()
                  .toString()));
      ok(
          api.post(
              "/api/project/moved/secrets/create_or_update",
              body("name", "HF_TOKEN", "value", "hf-secret-value")));
      okNull(
          api.post(
              "/api/project/moved/backends/create_yaml",
              body(
                  "config_yaml",
                  "type: aws\ncreds:\n  type: access_key\n  access_key: AKIAMOVED\n"
                      + "  secret_key: aws-secret-value\n")));
      fleet.applyRun(taskSpec("echo-moved", Map.of("commands", commands("echo moved output"))));
      JsonObject run = fleet.awaitRun("echo-moved", finished(), "echo-moved to end");
      assertEquals("done", run.getString("status"));
      home = fleet.server().home();
      sqlite = fleet.server().stateDir().resolve("data/sqlite.db");
    }
    sqliteCounts = rowCounts("jdbc:sqlite:" + sqlite);
  }

  @Test
  void pgloaderCopiesTheStateIntoOurSchemaAndTheServerSeesAllOfIt() throws Exception {
    String database = TestDatabases.freshPostgres();
    Result schema =
        run(List.of("scripts/dstack-db", "schema"), Map.of("DSTACK_DATABASE_URL", database));
    assertEquals(0, schema.exit(), schema.output());
    Result load =
        run(
            List.of("pgloader", "scripts/sqlite_to_psql.load"),
            Map.of(
                "SOURCE_PATH", "sqlite://" + sqlite.toAbsolutePath(),
                "TARGET_PATH", "postgresql://postgres@127.0.0.1:5432/" + name(database)));
    assertEquals(0, load.exit(), load.output());
    assertEquals(sqliteCounts, rowCounts(TestDatabases.jdbc(database)), load.output());
    assertTheServerOnPostgresSeesEverything(database);
  }

  @Test
  void theBuiltInCopyReportsEachTableVerifiesTheCountsAndRefusesADatabaseWithData()
      throws Exception {
    String database = TestDatabases.freshPostgres();
    Result copy =
        run(
            List.of("scripts/dstack-db", "copy-sqlite", sqlite.toString()),
            Map.of("DSTACK_DATABASE_URL", database));
    assertEquals(0, copy.exit(), copy.output());
    assertTrue(copy.output().matches("(?s).*\\s+users\\s+2 rows\\n.*"), copy.output());
    assertTrue(
        copy.output().contains("Verified: all " + sqliteCounts.size() + " tables"), copy.output());
    assertEquals(sqliteCounts, rowCounts(TestDatabases.jdbc(database)));

    Result again =
        run(
            List.of("scripts/dstack-db", "copy-sqlite", sqlite.toString()),
            Map.of("DSTACK_DATABASE_URL", database));
    assertEquals(1, again.exit(), again.output());
    assertTrue(again.output().contains("the target is not empty"), again.output());
    assertEquals(sqliteCounts, rowCounts(TestDatabases.jdbc(database)), "nothing was added");
    assertTheServerOnPostgresSeesEverything(database);
  }

  @Test
  void theToolSaysWhatIsMissing() throws Exception {
    Result noTarget = run(List.of("scripts/dstack-db", "copy-sqlite", sqlite.toString()), Map.of());
    assertEquals(1, noTarget.exit());
    assertTrue(noTarget.output().contains("DSTACK_DATABASE_URL is not set"), noTarget.output());
    Result noSource =
        run(
            List.of("scripts/dstack-db", "copy-sqlite", "/nonexistent/sqlite.db"),
            Map.of("DSTACK_DATABASE_URL", TestDatabases.freshPostgres()));
    assertEquals(1, noSource.exit());
    assertTrue(noSource.output().contains("no SQLite database at /nonexistent/sqlite.db"));
    Result usage = run(List.of("scripts/dstack-db", "frobnicate"), Map.of());
    assertEquals(2, usage.exit());
    assertTrue(usage.output().contains("usage: dstack-db"), usage.output());
  }

  private static void assertTheServerOnPostgresSeesEverything(String database) throws Exception {
    // the same state directory (config.yml with the key, log files), the state now in PostgreSQL
    try (DstackServer server =
        new DstackServer(home).env("DSTACK_DATABASE_URL", database).start()) {
      Api api = new Api(server.url(), adminToken);
      assertEquals(
          "migrant",
          ok(api.post("/api/users/get_my_user", migrantToken, null)).getString("username"));
      JsonObject moved = ok(api.post("/api/projects/moved/get", null));
      assertTrue(
          moved.getJsonArray("members").stream()
              .map(JsonValue::asJsonObject)
              .anyMatch(
                  m ->
                      m.getJsonObject("user").getString("username").equals("migrant")
                          && m.getString("project_role").equals("manager")),
          moved.toString());
      assertEquals(
          "hf-secret-value",
          ok(api.post("/api/project/moved/secrets/get", body("name", "HF_TOKEN")))
              .getString("value"));
      assertEquals(
          "aws-secret-value",
          ok(api.post("/api/project/moved/backends/aws/config_info", null))
              .getJsonObject("creds")
              .getString("secret_key"));
      JsonObject run = ok(api.post("/api/project/main/runs/get", body("run_name", "echo-moved")));
      assertEquals("done", run.getString("status"));
      JsonObject logs =
          ok(
              api.post(
                  "/api/project/main/logs/poll",
                  body(
                      "run_name",
                      "echo-moved",
                      "job_submission_id",
                      run.getJsonObject("latest_job_submission").getString("id"),
                      "limit",
                      1000)));
      StringBuilder text = new StringBuilder();
      logs.getJsonArray("logs")
          .forEach(
              l ->
                  text.append(
                      new String(
                          Base64.getDecoder().decode(l.asJsonObject().getString("message")),
                          StandardCharsets.UTF_8)));
      assertTrue(text.toString().contains("moved output"), text.toString());
      JsonObject fleet = ok(api.post("/api/project/main/fleets/get", body("name", "hosts")));
      assertEquals(1, fleet.getJsonArray("instances").size());
      assertTrue(
          okArray(api.post("/api/events/list", "{}")).stream()
              .anyMatch(e -> e.asJsonObject().getString("message").equals("Project created")));
      // still ciphertext at rest, under the same key
      try (Connection connection = DriverManager.getConnection(TestDatabases.jdbc(database));
          Statement st = connection.createStatement();
          ResultSet rs = st.executeQuery("SELECT value FROM secrets")) {
        assertTrue(rs.next());
        assertTrue(rs.getString(1).startsWith("enc:aes:k1:"), rs.getString(1));
      }
    }
  }

  private static String name(String database) {
    return database.substring(database.lastIndexOf('/') + 1);
  }

  /** Rows per table of ours (Flyway's history aside). */
  private static Map<String, Long> rowCounts(String jdbcUrl) throws SQLException {
    Map<String, Long> counts = new LinkedHashMap<>();
    try (Connection connection = DriverManager.getConnection(jdbcUrl)) {
      List<String> tables = new ArrayList<>();
      try (ResultSet rs =
          connection.getMetaData().getTables(null, null, "%", new String[] {"TABLE"})) {
        while (rs.next()) {
          String table = rs.getString("TABLE_NAME");
          String schema = rs.getString("TABLE_SCHEM");
          if (!table.equals("flyway_schema_history")
              && !table.startsWith("sqlite_")
              && (schema == null || schema.equals("public"))) {
            tables.add(table);
          }
        }
      }
      tables.sort(null);
      for (String table : tables) {
        try (Statement st = connection.createStatement();
            ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + table)) {
          rs.next();
          counts.put(table, rs.getLong(1));
        }
      }
    }
    return counts;
  }

  private record Result(int exit, String output) {}

  private static Result run(List<String> command, Map<String, String> env) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().keySet().removeIf(k -> k.startsWith("DSTACK_"));
    builder.environment().put("DSTACK_WAR", System.getProperty("it.war"));
    builder.environment().putAll(env);
    Path output = Files.createTempFile(Path.of(System.getProperty("it.workDir")), "tool", ".log");
    builder.redirectOutput(output.toFile());
    Process process = builder.start();
    assertTrue(process.waitFor(300, TimeUnit.SECONDS), command + " did not end");
    return new Result(process.exitValue(), Files.readString(output));
  }
}
