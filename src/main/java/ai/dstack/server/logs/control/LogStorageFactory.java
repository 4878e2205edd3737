package ai.dstack.server.logs.control;

import ai.dstack.server.settings.Settings;

/**
 * Picks the log storage once from settings, in upstream's order (CloudWatch, GCP, Fluent Bit, else
 * files); a configured storage that fails to start falls back to files (SERVER.md §5.1). Only file
 * storage exists so far.
 */
public final class LogStorageFactory {
  private LogStorageFactory() {}

  public static LogStorage create(Settings settings) {
    return new FileLogStorage(settings.serverDir());
  }
}
