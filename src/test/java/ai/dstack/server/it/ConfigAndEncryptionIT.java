package ai.dstack.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * config.yml applied at startup, values encrypted at rest, key rotation, re-encryption and a
 * restart without the old key, on the database of the run (-Dit.db), checked in the raw tables.
 */
class ConfigAndEncryptionIT {
  private static final String KEY1 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  private static final String KEY2 = "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM=";
  private static final String KEY3 = "c29tZSBvdGhlciAzMiBieXRlcyBvZiBrZXkgZGF0YSE=";

  @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.NEVER)
  Path home;

  private String postgresUrl;

  private DstackServer server() {
    DstackServer server = new DstackServer(home);
    if (postgresUrl != null) {
      server.env("DSTACK_DATABASE_URL", postgresUrl);
    }
    return server;
  }

  private static final String LAMBDA =
      "  backends:\n  - {type: lambda, creds: {type: api_key, api_key: lambda-secret}}\n"
          + "  - {type: aws, creds: {type: default}}";
  private static final String VASTAI =
      "  backends:\n  - {type: vastai, creds: {type: api_key, api_key: vast-secret}}";

  private void writeConfig(String keys) throws Exception {
    writeConfig(keys, LAMBDA);
  }

  private void writeConfig(String keys, String configuredBackends) throws Exception {
    Files.createDirectories(home.resolve("server"));
    Files.writeString(
        home.resolve("server/config.yml"),
        """
        projects:
        - name: main
        - name: configured
        %s
        encryption:
          keys:
        %s
        default_permissions:
          allow_non_admins_create_projects: false
          allow_non_admins_manage_ssh_fleets: false
          allow_managers_manage_secrets: true
        plugins: [some_plugin]
        """
            .formatted(configuredBackends, keys));
  }

  private static String aes(String name, String secret) {
    return "  - {type: aes, name: " + name + ", secret: '" + secret + "'}";
  }

  private List<String> column(String sql) throws SQLException {
    String url =
        postgresUrl != null
            ? TestDatabases.jdbc(postgresUrl)
            : "jdbc:sqlite:" + home.resolve("server/data/sqlite.db");
    List<String> values = new ArrayList<>();
    try (Connection connection = DriverManager.getConnection(url);
        Statement st = connection.createStatement();
        ResultSet rows = st.executeQuery(sql)) {
      while (rows.next()) {
        values.add(rows.getString(1));
      }
    }
    return values;
  }

  private void assertAllStoredWith(String prefix) throws SQLException {
    List<String> stored = new ArrayList<>(column("SELECT token FROM users"));
    stored.addAll(column("SELECT value FROM secrets"));
    stored.addAll(column("SELECT auth FROM backends"));
    stored.addAll(column("SELECT source_auth FROM backends"));
    assertFalse(stored.isEmpty());
    for (String value : stored) {
      assertTrue(value.startsWith(prefix), value + " should start with " + prefix);
    }
  }

  @Test
  void configuredServerEncryptsRotatesReencryptsAndDropsTheOldKey() throws Exception {
    postgresUrl = TestDatabases.postgresRequested() ? TestDatabases.freshPostgres() : null;
    writeConfig(aes("key1", KEY1));
    String memberToken;
    String adminToken;
    String member = Api.uniqueName("member");
    try (DstackServer first = server().env("DSTACK_DEFAULT_CREDS_DISABLED", "")) {
      first.start();
      String log = first.logText();
      assertTrue(
          log.contains("Failed to create backend aws in project configured: Invalid credentials"),
          log);
      assertTrue(log.contains("Applying ~/server/config.yml..."), log);
      assertTrue(log.contains("Enabled plugins not found: [some_plugin]"), log);
      adminToken = first.adminToken();
      Api api = new Api(first.url(), adminToken);

      JsonObject configured = api.post("/api/projects/configured/get", null).object();
      assertEquals("admin", configured.getJsonObject("owner").getString("username"));
      assertEquals(0, configured.getJsonArray("members").size(), "no member row, as upstream");
      assertEquals(
          "lambda", configured.getJsonArray("backends").getJsonObject(0).getString("name"));
      assertEquals(
          "lambda-secret",
          api.post("/api/project/configured/backends/lambda/config_info", null)
              .object()
              .getJsonObject("creds")
              .getString("api_key"));
      Api.Reply uiBackend =
          api.post(
              "/api/project/configured/backends/create",
              "{\"type\":\"runpod\",\"creds\":{\"type\":\"api_key\",\"api_key\":\"rp\"}}");
      assertEquals(200, uiBackend.status(), uiBackend.text());
      Expect.assertBody(
          api.post(
              "/api/project/configured/backends/create",
              "{\"type\":\"gcp\",\"project_id\":\"p\",\"creds\":{\"type\":\"default\"}}"),
          400,
          Expect.parse(
              "{\"detail\":[{\"msg\":\"Invalid credentials\",\"code\":\"invalid_credentials\","
                  + "\"fields\":[\"creds\"]}]}"));

      memberToken = api.createUser(member, "user");
      Api.Reply denied = api.createProject(memberToken, Api.uniqueName("p"));
      assertEquals(403, denied.status(), denied.text());
      assertEquals(200, api.createProject(adminToken, Api.uniqueName("p")).status());

      Api.Reply added =
          api.post(
              "/api/projects/main/add_members",
              "{\"members\":[{\"username\":\"" + member + "\",\"project_role\":\"manager\"}]}");
      assertEquals(200, added.status(), added.text());
      JsonObject permissions =
          added.object().getJsonArray("members").stream()
              .map(m -> m.asJsonObject())
              .filter(m -> m.getJsonObject("user").getString("username").equals(member))
              .findFirst()
              .orElseThrow()
              .getJsonObject("permissions");
      assertTrue(permissions.getBoolean("can_manage_secrets"));
      assertFalse(permissions.getBoolean("can_manage_ssh_fleets"));
      Api.Reply secret =
          api.post(
              "/api/project/main/secrets/create_or_update",
              memberToken,
              "{\"name\":\"hf_token\",\"value\":\"s3cr3t\"}");
      assertEquals(200, secret.status(), secret.text());
      String fleet =
          Json.createObjectBuilder()
              .add(
                  "spec",
                  FleetsApiIT.spec(Api.uniqueName("f").toLowerCase(), List.of("192.0.2.10")))
              .build()
              .toString();
      assertEquals(
          200,
          api.post("/api/project/main/fleets/get_plan", memberToken, fleet).status(),
          "planning is allowed");
      Api.Reply ssh = api.post("/api/project/main/fleets/create", memberToken, fleet);
      assertEquals(403, ssh.status(), "allow_non_admins_manage_ssh_fleets: false: " + ssh.text());
      assertAllStoredWith("enc:aes:key1:");
      assertFalse(column("SELECT value FROM secrets").get(0).contains("s3cr3t"));
    }

    writeConfig(aes("key2", KEY2) + "\n" + aes("key1", KEY1), VASTAI);
    try (DstackServer rotated = server()) {
      rotated.start();
      Api api = new Api(rotated.url(), adminToken);
      assertEquals(
          List.of("vastai"),
          api.post("/api/projects/configured/get", null).object().getJsonArray("backends").stream()
              .map(b -> b.asJsonObject().getString("name"))
              .toList(),
          "backends of a listed project are what the file lists, UI-added ones included");
      assertEquals(adminToken, rotated.adminToken(), "old rows still read");
      assertEquals(
          "s3cr3t",
          api.post("/api/project/main/secrets/get", memberToken, "{\"name\":\"hf_token\"}")
              .object()
              .getString("value"));
      api.createUser(Api.uniqueName("new"), "user");
      List<String> tokens = column("SELECT token FROM users");
      assertTrue(tokens.stream().anyMatch(t -> t.startsWith("enc:aes:key2:")), "new writes: key2");
      assertTrue(tokens.stream().anyMatch(t -> t.startsWith("enc:aes:key1:")));

      Api.Reply denied = api.post("/api/server/encryption/status", memberToken, null);
      assertEquals(403, denied.status(), "global admins only");
      JsonObject status = api.post("/api/server/encryption/status", null).object();
      assertEquals("aes:key2", status.getString("current_key"));
      assertEquals("[]", status.getJsonArray("removable_keys").toString());

      JsonObject done = api.post("/api/server/encryption/reencrypt", "{\"batch_size\":1}").object();
      assertEquals("aes:key2", done.getString("current_key"));
      JsonObject users = done.getJsonArray("columns").getJsonObject(0);
      assertEquals("users.token", users.getString("column"));
      assertEquals(2, users.getInt("reencrypted"), done.toString());
      assertEquals(
          6,
          done.getJsonArray("columns").size(),
          "users, backends (2), secrets, instances' connection info, repo creds");
      assertEquals(0, users.getInt("remaining"));
      assertEquals("[\"aes:key2\"]", done.getJsonArray("keys_in_use").toString());
      assertEquals("[\"aes:key1\"]", done.getJsonArray("removable_keys").toString());
      assertAllStoredWith("enc:aes:key2:");

      JsonObject again = api.post("/api/server/encryption/reencrypt", null).object();
      assertEquals(0, again.getJsonArray("columns").getJsonObject(0).getInt("reencrypted"));
    }

    writeConfig(aes("key2", KEY2));
    try (DstackServer withoutOldKey = server()) {
      withoutOldKey.start();
      Api api = new Api(withoutOldKey.url(), adminToken);
      assertEquals(adminToken, withoutOldKey.adminToken());
      assertEquals(
          memberToken,
          api.post("/api/users/get_my_user", memberToken, null)
              .object()
              .getJsonObject("creds")
              .getString("token"));
      assertEquals(
          "s3cr3t",
          api.post("/api/project/main/secrets/get", memberToken, "{\"name\":\"hf_token\"}")
              .object()
              .getString("value"));
    }

    writeConfig(aes("key3", KEY3));
    try (DstackServer wrongKey = server()) {
      wrongKey.start();
      Api api = new Api(wrongKey.url(), adminToken);
      assertTrue(
          wrongKey
              .logText()
              .contains("The admin token cannot be decrypted with the configured encryption keys"),
          wrongKey.logText());
      for (int i = 0; i < 2; i++) {
        Api.Reply list = api.post("/api/users/list", memberToken, null);
        assertEquals(200, list.status(), "tokens are checked by hash, lists never crash");
        assertEquals(200, api.post("/api/project/main/secrets/list", memberToken, null).status());
      }
      Api.Reply me = api.post("/api/users/get_my_user", memberToken, null);
      assertEquals(400, me.status());
      assertTrue(me.text().contains("tried aes:key3"), me.text());
      Api.Reply secret =
          api.post("/api/project/main/secrets/get", memberToken, "{\"name\":\"hf_token\"}");
      assertEquals(400, secret.status(), secret.text());
      String log = wrongKey.logText();
      assertEquals(
          1,
          log.lines().filter(l -> l.contains("Cannot decrypt secrets.value of row")).count(),
          "reported once per row:\n" + log);
      assertTrue(log.contains("stored with key aes:key2, tried aes:key3"), log);
    }
    // unreadable values are kept as they were; the configured backend was re-created with key3
    for (String value : column("SELECT token FROM users UNION ALL SELECT value FROM secrets")) {
      assertTrue(value.startsWith("enc:aes:key2:"), value);
    }
    for (String value : column("SELECT auth FROM backends")) {
      assertTrue(value.startsWith("enc:aes:key3:"), value);
    }
  }
}
