package ai.dstack.server;

import ai.dstack.server.backends.control.BackendSchemas;
import ai.dstack.server.config.InvalidConfigException;
import ai.dstack.server.config.ServerConfig;
import ai.dstack.server.config.ServerConfigFile;
import ai.dstack.server.config.ServerConfigs;
import ai.dstack.server.db.Database;
import ai.dstack.server.db.DatabaseStartupException;
import ai.dstack.server.logging.LogSetup;
import ai.dstack.server.projects.control.Projects;
import ai.dstack.server.settings.ClientConfig;
import ai.dstack.server.settings.InvalidSettingException;
import ai.dstack.server.settings.Settings;
import ai.dstack.server.users.control.Users;
import ai.dstack.server.users.entity.UserEntity;
import ai.dstack.server.workers.ScheduledTasks;
import ai.dstack.server.workers.Workers;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Startup in upstream's order (SERVER.md §1.2): settings, logging, database and migrations, admin
 * user and project {@code main} (serialised across replicas), client config, then the two lines
 * every operator looks for. A failure leaves one line in the log and a failing healthcheck.
 */
@ApplicationScoped
public class Bootstrap {
  private static final Logger log = Logger.getLogger(Bootstrap.class.getName());

  @Inject private ServerContext server;
  @Inject private Users users;
  @Inject private Projects projects;
  @Inject private ServerConfigs serverConfigs;
  @Inject private Workers workers;
  @Inject private ScheduledTasks scheduledTasks;

  void onStart(@Observes @Initialized(ApplicationScoped.class) Object event) {
    LogSetup.configure(Level.INFO, Settings.LogFormat.STANDARD);
    try {
      Settings settings = Settings.fromEnvironment();
      LogSetup.configure(settings.logLevel(), settings.logFormat());
      Files.createDirectories(settings.serverDir().resolve("data"));
      ServerConfigFile configFile =
          new ServerConfigFile(
              settings.serverDir().resolve("config.yml"), BackendSchemas.fileConfig());
      Optional<ServerConfig> config =
          settings.configDisabled() ? Optional.empty() : configFile.load();
      config.ifPresent(serverConfigs::applyEncryption);
      Database database = Database.open(settings.database(), settings.dbPoolSize());
      server.opened(settings, database);
      UserEntity admin =
          database.tx(
              em -> {
                database.advisoryXactLock(em, "server_init");
                UserEntity user = users.getOrCreateAdmin(em, settings.adminToken());
                projects.getOrCreateMain(em, user);
                if (config.isPresent()) {
                  log.info("Applying " + settings.displayed(configFile.file()) + "...");
                  serverConfigs.apply(em, user, config.get());
                }
                return user;
              });
      if (!settings.configDisabled() && config.isEmpty()) {
        configFile.writeDefault(database.read(serverConfigs::mainBackends));
        log.info(
            "Initialized the default configuration at " + settings.displayed(configFile.file()));
      }
      String adminToken = admin.getToken().readable() ? admin.getToken().plaintext() : null;
      if (adminToken != null) {
        ClientConfig.updateDefaultProject(settings, Projects.DEFAULT_PROJECT, adminToken);
      }
      if (settings.backgroundProcessingDisabled()) {
        log.info("Background processing is disabled");
      } else {
        workers.start(database);
        scheduledTasks.start();
      }
      server.ready();
      log.info(
          adminToken != null
              ? "The admin token is " + adminToken
              : "The admin token cannot be decrypted with the configured encryption keys");
      log.info("The dstack server " + server.version() + " is running at " + settings.serverUrl());
    } catch (InvalidSettingException | InvalidConfigException | DatabaseStartupException e) {
      fail(e.getMessage(), null);
    } catch (IOException e) {
      fail("Cannot write in the server directory: " + e.getMessage(), null);
    } catch (RuntimeException e) {
      fail("Unexpected startup error: " + e, e);
    }
  }

  private void fail(String reason, Throwable unexpected) {
    server.failed(reason);
    log.log(Level.SEVERE, "Server startup failed: " + reason, unexpected);
  }

  @PreDestroy
  void stop() {
    // before the database closes: workers may be mid-transaction
    scheduledTasks.stop();
    workers.stop();
    if (server.database() != null) {
      server.database().close();
    }
  }
}
