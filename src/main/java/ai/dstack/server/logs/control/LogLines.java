package ai.dstack.server.logs.control;

import ai.dstack.server.api.JsonOutput;
import jakarta.json.Json;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonReaderFactory;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Set;

/**
 * The log file format: JSON Lines of {@code {"timestamp","log_source","message"}}, byte for byte as
 * upstream's orjson writes them (compact, non-ASCII kept, control characters escaped), so files
 * move between upstream and this server in both directions.
 */
final class LogLines {
  private static final JsonReaderFactory READERS = Json.createReaderFactory(Map.of());
  private static final Set<String> SOURCES = Set.of("stdout", "stderr");
  private static final byte[] HEAD = ascii("{\"timestamp\":\"");
  private static final byte[] MIDDLE = ascii("\",\"log_source\":\"stdout\",\"message\":\"");
  private static final byte[] TAIL = ascii("\"}\n");
  private static final byte[] REPLACEMENT = {(byte) 0xEF, (byte) 0xBF, (byte) 0xBD};
  private static final byte[] HEX = ascii("0123456789abcdef");
  private static final int BUFFER = 64 * 1024;

  private LogLines() {}

  /**
   * Writes the events through one fixed buffer: memory does not grow with the batch or the message
   * sizes. The stream is flushed before returning.
   */
  static void write(OutputStream out, Iterable<RunnerLogEvent> events) throws IOException {
    Buffer buffer = new Buffer(out);
    for (RunnerLogEvent event : events) {
      buffer.put(HEAD);
      buffer.put(ascii(JsonOutput.datetime(Instant.ofEpochMilli(event.timestampMillis()))));
      buffer.put(MIDDLE);
      putMessage(buffer, event.message());
      buffer.put(TAIL);
    }
    buffer.flush();
  }

  /**
   * The message bytes as a JSON string body: decoded as UTF-8 with a U+FFFD for each maximal
   * invalid subsequence (Python's {@code errors="replace"}, which Java's decoder does not match for
   * encoded surrogates), then escaped as orjson does.
   */
  private static void putMessage(Buffer out, byte[] message) throws IOException {
    int i = 0;
    while (i < message.length) {
      int b = message[i] & 0xFF;
      if (b < 0x80) {
        putAscii(out, b);
        i++;
        continue;
      }
      int length = sequence(message, i);
      if (length > 0) {
        out.put(message, i, length);
        i += length;
      } else {
        out.put(REPLACEMENT);
        i -= length;
      }
    }
  }

  private static void putAscii(Buffer out, int b) throws IOException {
    switch (b) {
      case '"' -> out.put('\\', '"');
      case '\\' -> out.put('\\', '\\');
      case '\n' -> out.put('\\', 'n');
      case '\r' -> out.put('\\', 'r');
      case '\t' -> out.put('\\', 't');
      case '\b' -> out.put('\\', 'b');
      case '\f' -> out.put('\\', 'f');
      default -> {
        if (b < 0x20) {
          out.put('\\', 'u');
          out.put('0', '0');
          out.put(HEX[b >> 4], HEX[b & 0xF]);
        } else {
          out.put(b);
        }
      }
    }
  }

  /**
   * Length of the well-formed UTF-8 sequence starting at {@code i} (its first byte is not ASCII),
   * or minus the length of the invalid prefix one replacement character stands for.
   */
  private static int sequence(byte[] bytes, int i) {
    int lead = bytes[i] & 0xFF;
    int continuation;
    int low = 0x80;
    int high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      continuation = 1;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      continuation = 2;
      if (lead == 0xE0) {
        low = 0xA0; // no overlong forms
      } else if (lead == 0xED) {
        high = 0x9F; // no surrogates
      }
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      continuation = 3;
      if (lead == 0xF0) {
        low = 0x90;
      } else if (lead == 0xF4) {
        high = 0x8F; // nothing above U+10FFFF
      }
    } else {
      return -1;
    }
    for (int k = 1; k <= continuation; k++) {
      if (i + k >= bytes.length) {
        return -k;
      }
      int b = bytes[i + k] & 0xFF;
      if (b < (k == 1 ? low : 0x80) || b > (k == 1 ? high : 0xBF)) {
        return -k;
      }
    }
    return continuation + 1;
  }

  /** A strict UTF-8 decoder for {@link #parse}; not thread-safe, so one per reading. */
  static CharsetDecoder decoder() {
    return StandardCharsets.UTF_8
        .newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
  }

  /**
   * The event of the line {@code data[from, to)} (no newline), or {@code null} if it is malformed.
   */
  static LogEvent parse(byte[] data, int from, int to, CharsetDecoder utf8) {
    String text;
    try {
      text = utf8.reset().decode(ByteBuffer.wrap(data, from, to - from)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
    JsonObject object;
    try (var reader = READERS.createReader(new StringReader(text))) {
      object = reader.readObject();
    } catch (JsonException | IllegalStateException e) {
      return null;
    }
    Instant timestamp = timestamp(object.get("timestamp"));
    String source = string(object.get("log_source"));
    String message = string(object.get("message"));
    if (timestamp == null || source == null || !SOURCES.contains(source) || message == null) {
      return null;
    }
    return new LogEvent(timestamp, source, message);
  }

  private static String string(JsonValue value) {
    return value instanceof JsonString s ? s.getString() : null;
  }

  /**
   * ISO-8601 as written; a datetime without offset is UTC. Kept to the microsecond, as upstream.
   */
  private static Instant timestamp(JsonValue value) {
    String text = string(value);
    if (text == null) {
      return null;
    }
    text = text.strip().replace(' ', 'T');
    try {
      return OffsetDateTime.parse(text).toInstant().truncatedTo(ChronoUnit.MICROS);
    } catch (DateTimeParseException e) {
      try {
        return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
      } catch (DateTimeParseException ignored) {
        return null;
      }
    }
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  /** A fixed output buffer written to the stream whenever it fills. */
  private static final class Buffer {
    private final OutputStream out;
    private final byte[] bytes = new byte[BUFFER];
    private int size;

    Buffer(OutputStream out) {
      this.out = out;
    }

    void put(int b) throws IOException {
      if (size == bytes.length) {
        drain();
      }
      bytes[size++] = (byte) b;
    }

    void put(int first, int second) throws IOException {
      put(first);
      put(second);
    }

    void put(byte[] data) throws IOException {
      put(data, 0, data.length);
    }

    void put(byte[] data, int offset, int length) throws IOException {
      if (length > bytes.length - size) {
        drain();
        if (length > bytes.length) {
          out.write(data, offset, length);
          return;
        }
      }
      System.arraycopy(data, offset, bytes, size, length);
      size += length;
    }

    void flush() throws IOException {
      drain();
      out.flush();
    }

    private void drain() throws IOException {
      out.write(bytes, 0, size);
      size = 0;
    }
  }
}
