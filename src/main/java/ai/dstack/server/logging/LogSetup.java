package ai.dstack.server.logging;

import ai.dstack.server.settings.Settings;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Sends the server's own log records to the process's real standard output, one line per record, in
 * the chosen format. The container's console handler would wrap them in its multi-line format, so
 * our records do not reach it.
 */
public final class LogSetup {
  public static final String ROOT_LOGGER = "ai.dstack.server";

  // JUL holds loggers weakly: keep ours reachable, or its level and handler can vanish
  private static final Logger root = Logger.getLogger(ROOT_LOGGER);
  private static final PrintStream stdout =
      new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);

  private LogSetup() {}

  public static void configure(Level level, Settings.LogFormat format) {
    root.setLevel(level);
    for (Handler handler : root.getHandlers()) {
      root.removeHandler(handler);
    }
    if (!onPayaraMicro()) {
      root.setUseParentHandlers(true);
      return;
    }
    Formatter formatter =
        format == Settings.LogFormat.JSON ? new JsonLineFormatter() : new TextLineFormatter();
    Handler handler =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            if (isLoggable(record)) {
              stdout.print(formatter.format(record));
            }
          }

          @Override
          public void flush() {
            stdout.flush();
          }

          @Override
          public void close() {
            flush();
          }
        };
    handler.setLevel(Level.ALL);
    root.addHandler(handler);
    root.setUseParentHandlers(false);
  }

  private static boolean onPayaraMicro() {
    try {
      Class.forName(
          "fish.payara.micro.impl.PayaraMicroImpl", false, LogSetup.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }
}
