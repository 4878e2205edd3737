package ai.dstack.server;

import ai.dstack.server.api.ApiException;
import ai.dstack.server.db.Database;
import ai.dstack.server.settings.DefaultPermissions;
import ai.dstack.server.settings.Settings;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** What startup produced: settings, the database, or the reason the server could not start. */
@ApplicationScoped
public class ServerContext {
  private final String version = readVersion();
  private volatile Settings settings;
  private volatile Database database;
  private volatile String failure;
  private volatile boolean ready;
  private volatile DefaultPermissions defaultPermissions = DefaultPermissions.DEFAULTS;

  public String version() {
    return version;
  }

  public Settings settings() {
    return settings;
  }

  public Database database() {
    return database;
  }

  public DefaultPermissions defaultPermissions() {
    return defaultPermissions;
  }

  /** From config.yml at startup; in memory only, as upstream. */
  public void defaultPermissions(DefaultPermissions permissions) {
    this.defaultPermissions = permissions;
  }

  /** {@code null} while starting or once started; the one-line reason after a failed start. */
  public String failure() {
    return failure;
  }

  public boolean started() {
    return ready && failure == null;
  }

  /** Rejects API calls until startup has finished (or for good, if it failed). */
  public void requireStarted() {
    if (!started()) {
      throw ApiException.unavailable(
          failure == null ? "The server is starting" : "The server failed to start: " + failure);
    }
  }

  void opened(Settings settings, Database database) {
    this.settings = settings;
    this.database = database;
  }

  void ready() {
    this.ready = true;
  }

  void failed(String reason) {
    this.failure = reason;
  }

  private static String readVersion() {
    try (InputStream in = ServerContext.class.getResourceAsStream("/dstack-build.properties")) {
      Properties props = new Properties();
      props.load(in);
      return props.getProperty("dstack.version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
