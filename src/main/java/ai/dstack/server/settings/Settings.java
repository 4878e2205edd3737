package ai.dstack.server.settings;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.logging.Level;

/**
 * Everything the server reads from its environment, read once at startup (SERVER.md §1.4). Flags
 * are presence-only, as upstream: any value, even empty, enables them.
 */
public record Settings(
    Path serverDir,
    String host,
    int port,
    String serverUrl,
    String adminToken,
    boolean configDisabled,
    boolean backgroundProcessingDisabled,
    Level logLevel,
    LogFormat logFormat,
    DatabaseUrl database,
    int dbPoolSize,
    int userProjectDefaultQuota,
    boolean updateDefaultProject,
    boolean doNotUpdateDefaultProject,
    Path clientConfigFile,
    Path userHome,
    boolean defaultCredsDisabled,
    HostSettings hosts,
    RunSettings runs,
    LogSettings logs) {

  public enum LogFormat {
    STANDARD,
    JSON
  }

  /** {@code ~} is {@code $HOME}, as for upstream's Python server, else the JVM's user.home. */
  public static Settings fromEnvironment() {
    String home = System.getenv("HOME");
    return from(
        System.getenv(), home == null || home.isBlank() ? System.getProperty("user.home") : home);
  }

  public static Settings from(Map<String, String> env, String userHome) {
    Path home = Path.of(userHome);
    Path serverDir =
        env.containsKey("DSTACK_SERVER_DIR")
            ? expandHome(env.get("DSTACK_SERVER_DIR"), home)
            : home.resolve(".dstack").resolve("server");
    String host = env.getOrDefault("DSTACK_SERVER_HOST", "127.0.0.1");
    int port = intVar(env, "DSTACK_SERVER_PORT", 3000);
    String url = env.getOrDefault("DSTACK_SERVER_URL", "http://" + host + ":" + port);
    String dbUrl = env.get("DSTACK_DATABASE_URL");
    DatabaseUrl database =
        dbUrl == null || dbUrl.isBlank()
            ? DatabaseUrl.sqlite(serverDir.resolve("data").resolve("sqlite.db"))
            : DatabaseUrl.parse(dbUrl);
    return new Settings(
        serverDir,
        host,
        port,
        url,
        emptyToNull(env.get("DSTACK_SERVER_ADMIN_TOKEN")),
        env.containsKey("DSTACK_SERVER_CONFIG_DISABLED"),
        env.containsKey("DSTACK_SERVER_BACKGROUND_PROCESSING_DISABLED"),
        logLevel(env.getOrDefault("DSTACK_SERVER_LOG_LEVEL", "INFO")),
        logFormat(env.getOrDefault("DSTACK_SERVER_LOG_FORMAT", "standard")),
        database,
        intVar(env, "DSTACK_DB_POOL_SIZE", 20) + intVar(env, "DSTACK_DB_MAX_OVERFLOW", 20),
        intVar(env, "DSTACK_USER_PROJECT_DEFAULT_QUOTA", 10),
        env.containsKey("DSTACK_UPDATE_DEFAULT_PROJECT"),
        env.containsKey("DSTACK_DO_NOT_UPDATE_DEFAULT_PROJECT"),
        home.resolve(".dstack").resolve("config.yml"),
        home,
        env.containsKey("DSTACK_DEFAULT_CREDS_DISABLED"),
        HostSettings.from(env),
        RunSettings.from(env),
        LogSettings.from(env));
  }

  /** A path with the home directory shown as {@code ~}, as upstream prints paths. */
  public String displayed(Path path) {
    return path.startsWith(userHome) && !path.equals(userHome)
        ? "~/" + userHome.relativize(path)
        : path.toString();
  }

  private static Path expandHome(String path, Path home) {
    if (path.equals("~")) {
      return home;
    }
    if (path.startsWith("~/")) {
      return home.resolve(path.substring(2));
    }
    return Path.of(path).toAbsolutePath();
  }

  private static int intVar(Map<String, String> env, String name, int fallback) {
    String value = env.get(name);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new InvalidSettingException(name + " must be an integer, got '" + value + "'");
    }
  }

  private static Level logLevel(String value) {
    return switch (value.trim().toUpperCase(Locale.ROOT)) {
      case "DEBUG" -> Level.FINE;
      case "INFO" -> Level.INFO;
      case "WARNING", "WARN" -> Level.WARNING;
      case "ERROR", "CRITICAL" -> Level.SEVERE;
      default ->
          throw new InvalidSettingException(
              "DSTACK_SERVER_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got '"
                  + value
                  + "'");
    };
  }

  private static LogFormat logFormat(String value) {
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      // upstream's default "rich" is a colourful console format; one readable line is our
      // equivalent
      case "rich", "standard" -> LogFormat.STANDARD;
      case "json" -> LogFormat.JSON;
      default ->
          throw new InvalidSettingException(
              "DSTACK_SERVER_LOG_FORMAT must be one of rich, standard, json, got '" + value + "'");
    };
  }

  private static String emptyToNull(String value) {
    return value == null || value.isEmpty() ? null : value;
  }
}
