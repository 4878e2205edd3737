package ai.dstack.server.logs.control;

import ai.dstack.server.settings.Settings;
import java.util.logging.Logger;

/**
 * Picks the log storage once from settings, in upstream's order (CloudWatch when a group is
 * configured, else files); a configured storage that fails to start falls back to files with one
 * warning (SERVER.md §5.1).
 */
public final class LogStorageFactory {
  private static final Logger log = Logger.getLogger(LogStorageFactory.class.getName());

  private LogStorageFactory() {}

  public static LogStorage create(Settings settings) {
    String group = settings.logs().cloudwatchGroup();
    if (group != null) {
      try {
        return CloudWatchLogStorage.connect(settings.logs());
      } catch (RuntimeException e) {
        log.warning(
            "CloudWatch log storage is not available ("
                + e.getMessage()
                + "); run logs go to files under "
                + settings.serverDir()
                + " instead");
      }
    }
    return new FileLogStorage(settings.serverDir());
  }
}
