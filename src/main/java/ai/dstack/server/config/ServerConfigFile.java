package ai.dstack.server.config;

import static ai.dstack.server.config.schema.Schemas.bool;
import static ai.dstack.server.config.schema.Schemas.listOf;
import static ai.dstack.server.config.schema.Schemas.literal;
import static ai.dstack.server.config.schema.Schemas.string;
import static ai.dstack.server.config.schema.Schemas.validated;

import ai.dstack.server.config.schema.ObjectSchema;
import ai.dstack.server.config.schema.Schema;
import ai.dstack.server.config.schema.SchemaViolation;
import ai.dstack.server.config.schema.UnionSchema;
import ai.dstack.server.crypto.AesKey;
import ai.dstack.server.crypto.EncryptionKey;
import ai.dstack.server.crypto.IdentityKey;
import ai.dstack.server.projects.control.Projects;
import ai.dstack.server.settings.DefaultPermissions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

/** Reads {@code <server dir>/config.yml} strictly, and writes the default one on first start. */
public final class ServerConfigFile {
  private final Path file;
  private final ObjectSchema schema;

  /**
   * @param backendFileConfig the schema of one entry of {@code projects[].backends}
   */
  public ServerConfigFile(Path file, Schema backendFileConfig) {
    this.file = file;
    this.schema = schema(backendFileConfig);
  }

  public Path file() {
    return file;
  }

  /** The validated file, or empty when there is none; {@link InvalidConfigException} otherwise. */
  public Optional<ServerConfig> load() {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new InvalidConfigException(file, "cannot read the file: " + e.getMessage());
    }
    return Optional.of(parse(text));
  }

  ServerConfig parse(String text) {
    Object document;
    try {
      LoaderOptions options = new LoaderOptions();
      options.setAllowDuplicateKeys(false);
      document = new Yaml(new SafeConstructor(options)).load(text);
    } catch (MarkedYAMLException e) {
      throw new InvalidConfigException(
          file,
          "not valid YAML at line "
              + (e.getProblemMark().getLine() + 1)
              + ", column "
              + (e.getProblemMark().getColumn() + 1)
              + ": "
              + e.getProblem());
    } catch (YAMLException e) {
      throw new InvalidConfigException(file, "not valid YAML: " + oneLine(e.getMessage()));
    }
    if (document == null) {
      throw new InvalidConfigException(file, "the file is empty; it needs at least 'projects: []'");
    }
    Map<String, Object> config;
    try {
      config = normalized(schema.normalize(document));
    } catch (SchemaViolation e) {
      throw new InvalidConfigException(file, e.dottedPath() + ": " + e.problem());
    }
    return toConfig(config);
  }

  /** Upstream's default file: project {@code main} with its current backends, no keys. */
  public void writeDefault(List<Map<String, Object>> mainBackends) throws IOException {
    Map<String, Object> main = new LinkedHashMap<>();
    main.put("name", Projects.DEFAULT_PROJECT);
    main.put("backends", mainBackends);
    Map<String, Object> encryption = new LinkedHashMap<>();
    encryption.put("keys", List.of());
    Map<String, Object> document = new LinkedHashMap<>();
    document.put("projects", List.of(main));
    document.put("encryption", encryption);
    Files.writeString(file, UpstreamYaml.dump(document), StandardCharsets.UTF_8);
  }

  private static ObjectSchema schema(Schema backendFileConfig) {
    ObjectSchema project =
        ObjectSchema.builder()
            .required(
                "name",
                validated(
                    string(),
                    name -> {
                      if (!Projects.PROJECT_NAME.matcher((String) name).matches()) {
                        throw new IllegalArgumentException(
                            "Project name should match regex '"
                                + Projects.PROJECT_NAME.pattern()
                                + "'");
                      }
                      return name;
                    }))
            .optional("backends", listOf(backendFileConfig))
            .build();
    ObjectSchema aesKey =
        ObjectSchema.builder()
            .defaulted("type", literal(AesKey.TYPE), AesKey.TYPE, false)
            .required("name", validated(string(), name -> AesKey.checkName((String) name)))
            .required(
                "secret",
                validated(
                    string(),
                    secret -> {
                      AesKey.decodeSecret((String) secret);
                      return secret;
                    }))
            .build();
    ObjectSchema identityKey =
        ObjectSchema.builder()
            .defaulted("type", literal(IdentityKey.TYPE), IdentityKey.TYPE, false)
            .build();
    ObjectSchema encryption =
        ObjectSchema.builder()
            .required("keys", listOf(UnionSchema.of("type", List.of(aesKey, identityKey))))
            .build();
    ObjectSchema permissions =
        ObjectSchema.builder()
            .defaulted("allow_non_admins_create_projects", bool(), true, false)
            .defaulted("allow_non_admins_manage_ssh_fleets", bool(), true, false)
            .defaulted("allow_managers_manage_secrets", bool(), false, false)
            .build();
    return ObjectSchema.builder()
        .required("projects", listOf(project))
        .optional("encryption", encryption)
        .optional("default_permissions", permissions)
        .optional("plugins", listOf(string()))
        .build();
  }

  private static ServerConfig toConfig(Map<String, Object> config) {
    List<ServerConfig.ProjectConfig> projects = new ArrayList<>();
    for (Object item : (List<?>) config.get("projects")) {
      Map<String, Object> project = normalized(item);
      List<Map<String, Object>> backends = null;
      if (project.get("backends") != null) {
        backends = new ArrayList<>();
        for (Object backend : (List<?>) project.get("backends")) {
          backends.add(normalized(backend));
        }
      }
      projects.add(new ServerConfig.ProjectConfig((String) project.get("name"), backends));
    }
    List<EncryptionKey> keys = null;
    if (config.get("encryption") != null) {
      keys = new ArrayList<>();
      for (Object item : (List<?>) normalized(config.get("encryption")).get("keys")) {
        Map<String, Object> key = normalized(item);
        keys.add(
            AesKey.TYPE.equals(key.get("type"))
                ? AesKey.of((String) key.get("name"), (String) key.get("secret"))
                : new IdentityKey());
      }
    }
    DefaultPermissions permissions = null;
    if (config.get("default_permissions") != null) {
      Map<String, Object> switches = normalized(config.get("default_permissions"));
      permissions =
          new DefaultPermissions(
              (Boolean) switches.get("allow_non_admins_create_projects"),
              (Boolean) switches.get("allow_non_admins_manage_ssh_fleets"),
              (Boolean) switches.get("allow_managers_manage_secrets"));
    }
    List<String> plugins = null;
    if (config.get("plugins") != null) {
      plugins = new ArrayList<>();
      for (Object name : (List<?>) config.get("plugins")) {
        plugins.add((String) name);
      }
    }
    return new ServerConfig(projects, keys, permissions, plugins);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> normalized(Object value) {
    return (Map<String, Object>) value;
  }

  private static String oneLine(String text) {
    return text == null ? "" : text.replaceAll("\\s*\\n\\s*", " ").strip();
  }
}
