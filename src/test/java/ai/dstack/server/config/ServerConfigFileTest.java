package ai.dstack.server.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.config.schema.ObjectSchema;
import ai.dstack.server.config.schema.Schemas;
import ai.dstack.server.config.schema.UnionSchema;
import ai.dstack.server.crypto.AesKey;
import ai.dstack.server.crypto.IdentityKey;
import ai.dstack.server.settings.DefaultPermissions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerConfigFileTest {
  private static final String KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  private static final Path FILE = Path.of("/srv/dstack/config.yml");

  /** A stand-in backends schema: the real ones are tested with the backends. */
  private static final UnionSchema BACKEND =
      UnionSchema.of(
          "type",
          List.of(
              ObjectSchema.builder()
                  .defaulted("type", Schemas.literal("lambda"), "lambda", false)
                  .required("creds", Schemas.mapOf(Schemas.string()))
                  .build()));

  private static ServerConfig parse(String yaml) {
    return new ServerConfigFile(FILE, BACKEND).parse(yaml);
  }

  private static String problem(String yaml) {
    String message = assertThrows(InvalidConfigException.class, () -> parse(yaml)).getMessage();
    assertTrue(message.startsWith("Invalid server configuration " + FILE + ": "), message);
    assertTrue(!message.contains("\n"), "one line: " + message);
    return message.substring(("Invalid server configuration " + FILE + ": ").length());
  }

  @Test
  void everyTopLevelKeyIsRead() {
    ServerConfig config =
        parse(
            """
            projects:
            - name: main
            - name: team-a
              backends:
              - type: lambda
                creds: {type: api_key, api_key: secret}
            encryption:
              keys:
              - type: aes
                name: key2
                secret: %s
              - type: identity
            default_permissions:
              allow_non_admins_create_projects: false
              allow_managers_manage_secrets: true
            plugins: [rest_plugin]
            """
                .formatted(KEY));
    assertEquals(2, config.projects().size());
    assertNull(config.projects().get(0).backends());
    assertEquals("team-a", config.projects().get(1).name());
    assertEquals(
        Map.of("type", "api_key", "api_key", "secret"),
        config.projects().get(1).backends().get(0).get("creds"));
    assertEquals(2, config.encryptionKeys().size());
    assertEquals("key2", config.encryptionKeys().get(0).name());
    assertTrue(config.encryptionKeys().get(0) instanceof AesKey);
    assertTrue(config.encryptionKeys().get(1) instanceof IdentityKey);
    assertEquals(new DefaultPermissions(false, true, true), config.defaultPermissions());
    assertEquals(List.of("rest_plugin"), config.plugins());
  }

  @Test
  void optionalSectionsMayBeAbsentButProjectsIsRequired() {
    ServerConfig config = parse("projects: []\n");
    assertEquals(List.of(), config.projects());
    assertNull(config.encryptionKeys());
    assertNull(config.defaultPermissions());
    assertNull(config.plugins());
    assertEquals("projects: field required", problem("plugins: []\n"));
  }

  @Test
  void invalidFilesNameTheKeyPathAndTheProblem() {
    assertEquals("the file is empty; it needs at least 'projects: []'", problem(""));
    assertEquals("(root): value is not a valid dict", problem("- a\n- b\n"));
    assertEquals("projct: extra fields not permitted", problem("projects: []\nprojct: []\n"));
    assertEquals("projects: value is not a valid list", problem("projects: main\n"));
    assertEquals("projects[0].name: field required", problem("projects:\n- backends: []\n"));
    assertEquals(
        "projects[0].name: Project name should match regex '^[a-zA-Z0-9-_]{1,50}$'",
        problem("projects:\n- name: bad name\n"));
    assertEquals(
        "projects[0].nme: extra fields not permitted", problem("projects:\n- name: a\n  nme: b\n"));
    assertEquals(
        "projects[0].backends[0].creds: field required",
        problem("projects:\n- name: a\n  backends:\n  - type: lambda\n"));
    assertEquals(
        "projects[0].backends[0]: No match for discriminator 'type' and value 'nope'"
            + " (allowed values: 'lambda')",
        problem("projects:\n- name: a\n  backends:\n  - type: nope\n"));
    assertEquals(
        "default_permissions.allow_managers_manage_secrets: value could not be parsed to a"
            + " boolean",
        problem("projects: []\ndefault_permissions:\n  allow_managers_manage_secrets: maybe\n"));
    assertEquals(
        "default_permissions.allow_everything: extra fields not permitted",
        problem("projects: []\ndefault_permissions:\n  allow_everything: true\n"));
    assertEquals("plugins[0]: str type expected", problem("projects: []\nplugins: [[a]]\n"));
    assertEquals("encryption.keys: field required", problem("projects: []\nencryption: {}\n"));
  }

  @Test
  void badEncryptionKeysStopTheServerWithUpstreamsMessage() {
    String keys = "projects: []\nencryption:\n  keys:\n  - ";
    assertEquals(
        "encryption.keys[0].name: Key name must be alphanumeric",
        problem(keys + "{type: aes, name: key-1, secret: '" + KEY + "'}\n"));
    assertEquals(
        "encryption.keys[0].secret: Failed to decode secret from base64",
        problem(keys + "{type: aes, name: k, secret: 'not*base64'}\n"));
    assertEquals(
        "encryption.keys[0].secret: AES key must be 32 bytes. Got 16 bytes",
        problem(keys + "{type: aes, name: k, secret: 'AAECAwQFBgcICQoLDA0ODw=='}\n"));
    assertEquals(
        "encryption.keys[0].secret: field required", problem(keys + "{type: aes, name: k}\n"));
    assertEquals(
        "encryption.keys[0]: Discriminator 'type' is missing in value",
        problem(keys + "{name: k, secret: '" + KEY + "'}\n"));
    assertEquals(
        "encryption.keys[0].name: extra fields not permitted",
        problem(keys + "{type: identity, name: k}\n"));
  }

  @Test
  void yamlErrorsAndDuplicateKeysAreOneLine() {
    String broken = problem("projects: [\n");
    assertTrue(broken.startsWith("not valid YAML at line "), broken);
    String duplicate = problem("projects: []\nprojects: []\n");
    assertTrue(duplicate.contains("duplicate key projects"), duplicate);
  }

  @Test
  void theDefaultFileIsUpstreamsAndReadsBack(@TempDir Path dir) throws IOException {
    ServerConfigFile file = new ServerConfigFile(dir.resolve("config.yml"), BACKEND);
    assertTrue(file.load().isEmpty());
    file.writeDefault(List.of());
    assertEquals(
        "projects:\n- name: main\n  backends: []\nencryption:\n  keys: []\n",
        Files.readString(file.file()));
    ServerConfig config = file.load().orElseThrow();
    assertEquals("main", config.projects().get(0).name());
    assertEquals(List.of(), config.encryptionKeys());
  }
}
