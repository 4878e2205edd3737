package ai.dstack.server.backends.control;

import ai.dstack.server.ServerContext;
import ai.dstack.server.api.ApiException;
import ai.dstack.server.backends.entity.BackendEntity;
import ai.dstack.server.backends.entity.BackendType;
import ai.dstack.server.config.UpstreamYaml;
import ai.dstack.server.config.schema.PlainTree;
import ai.dstack.server.config.schema.SchemaViolation;
import ai.dstack.server.crypto.SecretText;
import ai.dstack.server.db.Database;
import ai.dstack.server.projects.entity.ProjectEntity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.persistence.EntityManager;
import java.io.StringReader;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * A project's backends (API.md §2.4) and their part of config.yml (SERVER.md §2.3). Credentials
 * cannot be checked against the clouds until the backends themselves are implemented; until then a
 * config that fits its model is stored as given, so the stored config equals the user's.
 */
@ApplicationScoped
public class Backends {
  private static final Logger log = Logger.getLogger(Backends.class.getName());
  private static final String BACKEND_NOT_AVAILABLE = "backend_not_available";

  @Inject private ServerContext server;

  private final BackendSchemas schemas = BackendSchemas.get();

  /** A backend as {@code Project.backends} shows it: its type and its config without creds. */
  public record Configured(String name, Map<String, Object> config) {}

  private Database db() {
    return server.database();
  }

  public List<Configured> list(ProjectEntity project) {
    return db().read(
            em ->
                rows(em, project).stream()
                    .filter(row -> BackendSchemas.CONFIGURABLE.contains(row.getType()))
                    .map(this::readable)
                    .filter(Objects::nonNull)
                    .map(
                        withCreds ->
                            new Configured(
                                (String) withCreds.get("type"),
                                schemas.withoutCreds(schemas.split(withCreds).config())))
                    .toList());
  }

  /** {@code config} is a normalized config with credentials (see {@link BackendSchemas}). */
  public Map<String, Object> create(ProjectEntity project, Map<String, Object> config) {
    BackendType type = configurable(config);
    validate(config);
    return db().tx(
            em -> {
              if (find(em, project, type) != null) {
                throw ApiException.resourceExists();
              }
              em.persist(store(new BackendEntity(), project, type, config));
              return config;
            });
  }

  public Map<String, Object> update(ProjectEntity project, Map<String, Object> config) {
    BackendType type = configurable(config);
    validate(config);
    return db().tx(
            em -> {
              BackendEntity row = find(em, project, type);
              if (row == null) {
                throw ApiException.resourceNotExists();
              }
              store(row, project, type, config);
              return config;
            });
  }

  /** Types the project does not have are ignored, as upstream does. */
  public void delete(ProjectEntity project, List<BackendType> types) {
    if (types.contains(BackendType.DSTACK)) {
      throw ApiException.error("Cannot delete dstack backend");
    }
    db().txRun(em -> deleteTypes(em, project, types));
  }

  public Map<String, Object> configInfo(ProjectEntity project, BackendType type) {
    if (!BackendSchemas.CONFIGURABLE.contains(type)) {
      throw ApiException.clientError(BACKEND_NOT_AVAILABLE, "Backend not available");
    }
    Map<String, Object> config = db().read(em -> readable(find(em, project, type)));
    if (config == null) {
      throw ApiException.resourceNotExists();
    }
    return config;
  }

  public String getYaml(ProjectEntity project, BackendType type) {
    return UpstreamYaml.dump(configInfo(project, type));
  }

  public void createYaml(ProjectEntity project, String yaml) {
    create(project, fromYaml(yaml));
  }

  public void updateYaml(ProjectEntity project, String yaml) {
    update(project, fromYaml(yaml));
  }

  /**
   * Makes the project's backends what config.yml lists ({@code fileBackends}: normalized with
   * {@link BackendSchemas#fileConfig()}, files already read): unchanged ones are left alone, the
   * others created or updated, and every configurable type not listed is deleted. Runs in the
   * caller's transaction.
   */
  public void applyConfigured(
      EntityManager em, ProjectEntity project, List<Map<String, Object>> fileBackends) {
    Set<BackendType> toDelete = new LinkedHashSet<>(BackendSchemas.CONFIGURABLE);
    for (Map<String, Object> fileBackend : fileBackends) {
      @SuppressWarnings("unchecked")
      Map<String, Object> config = (Map<String, Object>) schemas.apiConfig().normalize(fileBackend);
      BackendType type = BackendType.fromValue((String) config.get("type"));
      toDelete.remove(type);
      if (!BackendSchemas.CONFIGURABLE.contains(type)) {
        log.warning(
            String.format(
                "Backend %s not available and won't be configured."
                    + " Check that backend dependencies are installed.",
                type.value()));
        continue;
      }
      BackendEntity row = find(em, project, type);
      Map<String, Object> current = readable(row);
      if (current != null) {
        Map<String, Object> source = source(row);
        if (config.equals(source != null ? source : current)) {
          continue;
        }
      }
      try {
        validate(config);
      } catch (ApiException e) {
        // as upstream: a backend that fails validation is skipped with a warning, startup goes on
        log.warning(
            String.format(
                "Failed to %s backend %s in project %s: %s",
                row == null ? "create" : "update",
                type.value(),
                project.getName(),
                e.getMessage()));
        continue;
      }
      if (row == null) {
        em.persist(store(new BackendEntity(), project, type, config));
      } else {
        store(row, project, type, config);
      }
    }
    deleteTypes(em, project, toDelete);
  }

  /**
   * The checks that need no cloud: {@code type: default} credentials (the server's own cloud
   * identity) are refused when {@code DSTACK_DEFAULT_CREDS_DISABLED} is set. Checking credentials
   * against a cloud belongs to that backend's implementation, when it exists.
   */
  private void validate(Map<String, Object> config) {
    if (server.settings().defaultCredsDisabled()
        && config.get("creds") instanceof Map<?, ?> creds
        && "default".equals(creds.get("type"))) {
      throw ApiException.invalidCredentials(List.of(List.of("creds")));
    }
  }

  /** The project's backends with credentials, for the default config.yml. */
  public List<Map<String, Object>> configsWithCreds(EntityManager em, ProjectEntity project) {
    return rows(em, project).stream()
        .filter(row -> BackendSchemas.CONFIGURABLE.contains(row.getType()))
        .map(this::readable)
        .filter(Objects::nonNull)
        .toList();
  }

  private BackendType configurable(Map<String, Object> config) {
    BackendType type = BackendType.fromValue((String) config.get("type"));
    if (!BackendSchemas.CONFIGURABLE.contains(type)) {
      throw ApiException.clientError(BACKEND_NOT_AVAILABLE, "Backend not available");
    }
    return type;
  }

  /** The YAML bodies are read with the discriminated union; problems are 400s, not 422s. */
  @SuppressWarnings("unchecked")
  private Map<String, Object> fromYaml(String yaml) {
    Object tree;
    try {
      tree = UpstreamYaml.parse(yaml);
    } catch (IllegalArgumentException e) {
      throw ApiException.error("Error parsing YAML");
    }
    try {
      if (tree == null) {
        throw new SchemaViolation(List.of(), "none is not an allowed value");
      }
      if (!(tree instanceof Map)) {
        throw new SchemaViolation(List.of(), "Discriminator 'type' is missing in value");
      }
      return (Map<String, Object>) schemas.apiConfig().normalize(tree);
    } catch (SchemaViolation v) {
      throw ApiException.error(validationErrorText(v));
    }
  }

  /** pydantic v1's {@code str(ValidationError)} for the YAML model, with the one problem found. */
  static String validationErrorText(SchemaViolation v) {
    StringBuilder loc = new StringBuilder("__root__");
    v.path().forEach(segment -> loc.append(" -> ").append(segment));
    String ctx = "";
    if (v.errorType().startsWith("value_error.discriminated_union")) {
      ctx = "; discriminator_key=type";
      String prefix = "No match for discriminator 'type' and value ";
      if (v.problem().startsWith(prefix)) {
        String rest = v.problem().substring(prefix.length());
        int allowed = rest.indexOf(" (allowed values: ");
        ctx +=
            "; discriminator_value="
                + rest.substring(0, allowed).replaceAll("^'(.*)'$", "$1")
                + "; allowed_values="
                + rest.substring(allowed + " (allowed values: ".length(), rest.length() - 1);
      }
    }
    return "1 validation error for _BackendConfigWithCredsRequest\n"
        + loc
        + "\n  "
        + v.problem()
        + " (type="
        + v.errorType()
        + ctx
        + ")";
  }

  private void deleteTypes(EntityManager em, ProjectEntity project, Collection<BackendType> types) {
    List<BackendEntity> doomed =
        rows(em, project).stream().filter(row -> types.contains(row.getType())).toList();
    if (doomed.isEmpty()) {
      return;
    }
    doomed.forEach(em::remove);
    log.info(
        String.format(
            "Deleted backends %s in project %s",
            doomed.stream()
                .map(row -> "'" + row.getType().value() + "'")
                .sorted()
                .collect(Collectors.joining(", ", "[", "]")),
            project.getName()));
  }

  private BackendEntity store(
      BackendEntity row, ProjectEntity project, BackendType type, Map<String, Object> config) {
    BackendSchemas.Split split = schemas.split(config);
    String configJson = PlainTree.toJson(split.config()).toString();
    String authJson = PlainTree.toJson(split.secret()).toString();
    if (row.getId() == null) {
      row.setId(UUID.randomUUID().toString());
      row.setProjectId(project.getId());
      row.setType(type);
    }
    // no backend adds settings of its own yet, so the stored config is the user's
    row.setConfig(configJson);
    row.setAuth(SecretText.of(authJson));
    row.setSourceConfig(configJson);
    row.setSourceAuth(SecretText.of(authJson));
    return row;
  }

  private static List<BackendEntity> rows(EntityManager em, ProjectEntity project) {
    return em.createQuery(
            "SELECT b FROM BackendEntity b WHERE b.projectId = :project ORDER BY b.type",
            BackendEntity.class)
        .setParameter("project", project.getId())
        .getResultList();
  }

  private static BackendEntity find(EntityManager em, ProjectEntity project, BackendType type) {
    return rows(em, project).stream().filter(row -> row.getType() == type).findFirst().orElse(null);
  }

  /** The stored config with credentials, or null when the credentials cannot be decrypted. */
  private Map<String, Object> readable(BackendEntity row) {
    if (row == null) {
      return null;
    }
    if (!row.getAuth().readable()) {
      // reported once per row when loaded (UndecryptableValues); the backend is skipped
      return null;
    }
    return schemas.merge(tree(row.getConfig()), parse(row.getAuth().plaintext()));
  }

  /** What the user gave, or null when it is missing or unreadable (then: the stored config). */
  private Map<String, Object> source(BackendEntity row) {
    if (row.getSourceConfig() == null
        || row.getSourceAuth() == null
        || !row.getSourceAuth().readable()) {
      return null;
    }
    return schemas.merge(tree(row.getSourceConfig()), parse(row.getSourceAuth().plaintext()));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> tree(String json) {
    return (Map<String, Object>) parse(json);
  }

  private static Object parse(String json) {
    return PlainTree.fromJson(Json.createReader(new StringReader(json)).readValue());
  }
}
