package ai.dstack.server.logging;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/** {@code 2026-11-29 01:02:03,456 INFO dstack.users created user alice}: one line per record. */
public final class TextLineFormatter extends Formatter {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss,SSS").withZone(ZoneOffset.UTC);

  @Override
  public String format(LogRecord record) {
    StringBuilder line =
        new StringBuilder(TIME.format(record.getInstant()))
            .append(' ')
            .append(Levels.name(record.getLevel()))
            .append(' ')
            .append(Levels.shortLoggerName(record.getLoggerName()))
            .append(' ')
            .append(oneLine(formatMessage(record)));
    if (record.getThrown() != null) {
      line.append(" | ").append(oneLine(Levels.stackTrace(record.getThrown())));
    }
    return line.append(System.lineSeparator()).toString();
  }

  private static String oneLine(String text) {
    return text.replace("\r", "").replace("\n", " \u21b5 ");
  }
}
