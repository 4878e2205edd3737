package ai.dstack.server.api;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/**
 * Writes plain trees (maps, lists, strings, numbers, booleans, null) as JSON text in one pass, and
 * embeds {@link Raw} fragments as they are: stored JSON columns (run specs, job specs) go to the
 * wire without being parsed and built again, which is what keeps the run lists fast.
 */
public final class JsonText {
  private JsonText() {}

  /** JSON text already valid (e.g. read from a JSON column written by {@link #write}). */
  public record Raw(String json) {}

  public static String write(Object tree) {
    StringBuilder out = new StringBuilder(256);
    append(out, tree);
    return out.toString();
  }

  public static void append(StringBuilder out, Object value) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof Raw raw) {
      out.append(raw.json() == null ? "null" : raw.json());
    } else if (value instanceof String text) {
      string(out, text);
    } else if (value instanceof Map<?, ?> map) {
      out.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        if (!first) {
          out.append(',');
        }
        first = false;
        string(out, String.valueOf(entry.getKey()));
        out.append(':');
        append(out, entry.getValue());
      }
      out.append('}');
    } else if (value instanceof List<?> list) {
      out.append('[');
      for (int i = 0; i < list.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        append(out, list.get(i));
      }
      out.append(']');
    } else if (value instanceof Boolean flag) {
      out.append(flag ? "true" : "false");
    } else if (value instanceof Double || value instanceof Float) {
      double number = ((Number) value).doubleValue();
      if (Double.isNaN(number) || Double.isInfinite(number)) {
        out.append("null");
      } else {
        String text = Double.toString(number);
        // Double.toString uses "1.0E21" for large values: JSON wants a plain exponent
        out.append(text.contains("E") ? new BigDecimal(number).toString() : text);
      }
    } else if (value instanceof Number number) {
      out.append(number.toString());
    } else {
      string(out, value.toString());
    }
  }

  private static void string(StringBuilder out, String text) {
    out.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
