package ai.dstack.server.config;

import ai.dstack.server.ServerContext;
import ai.dstack.server.backends.control.Backends;
import ai.dstack.server.crypto.EncryptionKeys;
import ai.dstack.server.projects.control.Projects;
import ai.dstack.server.projects.entity.ProjectEntity;
import ai.dstack.server.users.entity.UserEntity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/** Applies config.yml at startup the way upstream does (SERVER.md §2.3). */
@ApplicationScoped
public class ServerConfigs {
  private static final Logger log = Logger.getLogger(ServerConfigs.class.getName());

  @Inject private ServerContext server;
  @Inject private Projects projects;
  @Inject private Backends backends;

  /** Encryption keys come first: users and projects are read with them. */
  public void applyEncryption(ServerConfig config) {
    if (config.encryptionKeys() != null) {
      EncryptionKeys.install(new EncryptionKeys(config.encryptionKeys()));
    }
  }

  /** Project {@code main}'s backends, written into the default config.yml on first start. */
  public List<Map<String, Object>> mainBackends(EntityManager em) {
    ProjectEntity main = projects.findByName(em, Projects.DEFAULT_PROJECT);
    return main == null ? List.of() : backends.configsWithCreds(em, main);
  }

  /** Runs inside the startup transaction that holds the {@code server_init} lock. */
  public void apply(EntityManager em, UserEntity admin, ServerConfig config) {
    if (config.defaultPermissions() != null) {
      server.defaultPermissions(config.defaultPermissions());
    }
    for (ServerConfig.ProjectConfig listed : config.projects()) {
      ProjectEntity project = projects.getOrCreateConfigured(em, listed.name(), admin);
      // as upstream: every backend type a listed project does not list is removed from it
      backends.applyConfigured(
          em, project, listed.backends() == null ? List.of() : listed.backends());
    }
    if (config.plugins() != null && !config.plugins().isEmpty()) {
      log.warning(
          "Enabled plugins not found: "
              + config.plugins()
              + ". This server has no plugins; the list is ignored");
    }
  }
}
