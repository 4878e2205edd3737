package ai.dstack.server.logging;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.logging.Level;

/** Python-style level names and short logger names shared by both line formats. */
final class Levels {
  private Levels() {}

  static String name(Level level) {
    int value = level.intValue();
    if (value >= Level.SEVERE.intValue()) {
      return "ERROR";
    }
    if (value >= Level.WARNING.intValue()) {
      return "WARNING";
    }
    if (value >= Level.INFO.intValue()) {
      return "INFO";
    }
    return "DEBUG";
  }

  /** {@code ai.dstack.server.users.control.Users} becomes {@code dstack.users.Users}. */
  static String shortLoggerName(String name) {
    if (name == null) {
      return "dstack";
    }
    String rest =
        name.startsWith(LogSetup.ROOT_LOGGER)
            ? name.substring(LogSetup.ROOT_LOGGER.length())
            : "." + name;
    return "dstack"
        + rest.replace(".boundary.", ".").replace(".control.", ".").replace(".entity.", ".");
  }

  static String stackTrace(Throwable thrown) {
    StringWriter out = new StringWriter();
    thrown.printStackTrace(new PrintWriter(out));
    return out.toString().stripTrailing();
  }
}
