package ai.dstack.server.config;

import java.nio.file.Path;

/** config.yml cannot be used; the message is the one line startup reports. */
public class InvalidConfigException extends RuntimeException {
  public InvalidConfigException(Path file, String problem) {
    super("Invalid server configuration " + file + ": " + problem);
  }
}
