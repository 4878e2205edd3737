package ai.dstack.server.logging;

import jakarta.json.Json;
import jakarta.json.JsonObjectBuilder;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/** One JSON object per line, for log collectors ({@code DSTACK_SERVER_LOG_FORMAT=json}). */
public final class JsonLineFormatter extends Formatter {
  @Override
  public String format(LogRecord record) {
    JsonObjectBuilder json =
        Json.createObjectBuilder()
            .add("timestamp", record.getInstant().toString())
            .add("level", Levels.name(record.getLevel()))
            .add("logger", Levels.shortLoggerName(record.getLoggerName()))
            .add("message", formatMessage(record));
    if (record.getThrown() != null) {
      json.add("exc_info", Levels.stackTrace(record.getThrown()));
    }
    return json.build().toString() + System.lineSeparator();
  }
}
