package ai.dstack.agent.json;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON for the agent, which has no library to lean on: objects become {@code LinkedHashMap}s,
 * arrays {@code ArrayList}s, numbers {@code Long} when integral (else {@code Double}), JSON null
 * Java null.
 */
public final class Json {
  private final String text;
  private int pos;

  private Json(String text) {
    this.text = text;
  }

  /** Parses one JSON value; trailing non-whitespace is an error. */
  public static Object parse(String text) {
    Json parser = new Json(text);
    parser.skipWhitespace();
    Object value = parser.value();
    parser.skipWhitespace();
    if (parser.pos != text.length()) {
      throw parser.error("unexpected trailing content");
    }
    return value;
  }

  /** Parses a JSON object; anything else is an error. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> parseObject(String text) {
    Object value = parse(text);
    if (!(value instanceof Map)) {
      throw new JsonException("a JSON object is expected");
    }
    return (Map<String, Object>) value;
  }

  public static String write(Object value) {
    StringBuilder out = new StringBuilder();
    write(out, value);
    return out.toString();
  }

  /** A string member, or null when absent or null; another type is an error naming the key. */
  public static String string(Map<String, Object> object, String key) {
    Object value = object.get(key);
    if (value == null || value instanceof String) {
      return (String) value;
    }
    throw new JsonException(key + ": a string is expected");
  }

  public static long number(Map<String, Object> object, String key, long fallback) {
    Object value = object.get(key);
    if (value == null) {
      return fallback;
    }
    if (value instanceof Long l) {
      return l;
    }
    if (value instanceof Double d && d == Math.rint(d)) {
      return d.longValue();
    }
    throw new JsonException(key + ": an integer is expected");
  }

  public static double decimal(Map<String, Object> object, String key, double fallback) {
    Object value = object.get(key);
    if (value == null) {
      return fallback;
    }
    if (value instanceof Number n) {
      return n.doubleValue();
    }
    throw new JsonException(key + ": a number is expected");
  }

  public static boolean bool(Map<String, Object> object, String key, boolean fallback) {
    Object value = object.get(key);
    if (value == null) {
      return fallback;
    }
    if (value instanceof Boolean b) {
      return b;
    }
    throw new JsonException(key + ": a boolean is expected");
  }

  /** An object member, or an empty map when absent or null. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> object(Map<String, Object> object, String key) {
    Object value = object.get(key);
    if (value == null) {
      return new LinkedHashMap<>();
    }
    if (value instanceof Map) {
      return (Map<String, Object>) value;
    }
    throw new JsonException(key + ": an object is expected");
  }

  /** An array member, or an empty list when absent or null. */
  @SuppressWarnings("unchecked")
  public static List<Object> array(Map<String, Object> object, String key) {
    Object value = object.get(key);
    if (value == null) {
      return new ArrayList<>();
    }
    if (value instanceof List) {
      return (List<Object>) value;
    }
    throw new JsonException(key + ": an array is expected");
  }

  /** An array of strings, or an empty list when absent or null. */
  public static List<String> strings(Map<String, Object> object, String key) {
    List<String> result = new ArrayList<>();
    for (Object item : array(object, key)) {
      if (!(item instanceof String s)) {
        throw new JsonException(key + ": an array of strings is expected");
      }
      result.add(s);
    }
    return result;
  }

  /** An object of string values, or an empty map when absent or null. */
  public static Map<String, String> stringMap(Map<String, Object> object, String key) {
    Map<String, String> result = new LinkedHashMap<>();
    for (Map.Entry<String, Object> entry : object(object, key).entrySet()) {
      if (entry.getValue() != null && !(entry.getValue() instanceof String)) {
        throw new JsonException(key + "." + entry.getKey() + ": a string is expected");
      }
      result.put(entry.getKey(), (String) entry.getValue());
    }
    return result;
  }

  private static void write(StringBuilder out, Object value) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof String s) {
      quote(out, s);
    } else if (value instanceof Boolean || value instanceof Long || value instanceof Integer) {
      out.append(value);
    } else if (value instanceof Number n) {
      double d = n.doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        throw new JsonException("not a JSON number: " + n);
      }
      out.append(d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : n.toString());
    } else if (value instanceof Map<?, ?> map) {
      out.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        if (!first) {
          out.append(',');
        }
        first = false;
        quote(out, String.valueOf(entry.getKey()));
        out.append(':');
        write(out, entry.getValue());
      }
      out.append('}');
    } else if (value instanceof Collection<?> items) {
      out.append('[');
      boolean first = true;
      for (Object item : items) {
        if (!first) {
          out.append(',');
        }
        first = false;
        write(out, item);
      }
      out.append(']');
    } else if (value instanceof Enum<?> e) {
      quote(out, e.toString());
    } else {
      throw new JsonException("cannot write " + value.getClass().getName() + " as JSON");
    }
  }

  private static void quote(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  private Object value() {
    if (pos >= text.length()) {
      throw error("unexpected end of input");
    }
    char c = text.charAt(pos);
    switch (c) {
      case '{':
        return object();
      case '[':
        return array();
      case '"':
        return string();
      case 't':
        return literal("true", Boolean.TRUE);
      case 'f':
        return literal("false", Boolean.FALSE);
      case 'n':
        return literal("null", null);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          return number();
        }
        throw error("unexpected character '" + c + "'");
    }
  }

  private Map<String, Object> object() {
    Map<String, Object> result = new LinkedHashMap<>();
    pos++;
    skipWhitespace();
    if (peek() == '}') {
      pos++;
      return result;
    }
    while (true) {
      skipWhitespace();
      if (peek() != '"') {
        throw error("a member name is expected");
      }
      String key = string();
      skipWhitespace();
      expect(':');
      skipWhitespace();
      result.put(key, value());
      skipWhitespace();
      char c = peek();
      if (c == '}') {
        pos++;
        return result;
      }
      if (c != ',') {
        throw error("',' or '}' is expected");
      }
      pos++;
    }
  }

  private List<Object> array() {
    List<Object> result = new ArrayList<>();
    pos++;
    skipWhitespace();
    if (peek() == ']') {
      pos++;
      return result;
    }
    while (true) {
      skipWhitespace();
      result.add(value());
      skipWhitespace();
      char c = peek();
      if (c == ']') {
        pos++;
        return result;
      }
      if (c != ',') {
        throw error("',' or ']' is expected");
      }
      pos++;
    }
  }

  private String string() {
    pos++;
    StringBuilder out = new StringBuilder();
    while (true) {
      char c = next();
      if (c == '"') {
        return out.toString();
      }
      if (c == '\\') {
        char e = next();
        switch (e) {
          case '"', '\\', '/' -> out.append(e);
          case 'b' -> out.append('\b');
          case 'f' -> out.append('\f');
          case 'n' -> out.append('\n');
          case 'r' -> out.append('\r');
          case 't' -> out.append('\t');
          case 'u' -> {
            if (pos + 4 > text.length()) {
              throw error("truncated \\u escape");
            }
            try {
              out.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
            } catch (NumberFormatException ex) {
              throw error("bad \\u escape");
            }
            pos += 4;
          }
          default -> throw error("bad escape '\\" + e + "'");
        }
      } else if (c < 0x20) {
        throw error("control character in string");
      } else {
        out.append(c);
      }
    }
  }

  private Object number() {
    int start = pos;
    if (peek() == '-') {
      pos++;
    }
    boolean integral = true;
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c >= '0' && c <= '9') {
        pos++;
      } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
        integral = false;
        pos++;
      } else {
        break;
      }
    }
    String literal = text.substring(start, pos);
    try {
      if (integral) {
        BigInteger big = new BigInteger(literal);
        return big.bitLength() < 64 ? (Object) big.longValue() : new BigDecimal(big).doubleValue();
      }
      return Double.parseDouble(literal);
    } catch (NumberFormatException e) {
      throw error("bad number '" + literal + "'");
    }
  }

  private Object literal(String word, Object value) {
    if (!text.startsWith(word, pos)) {
      throw error("unexpected token");
    }
    pos += word.length();
    return value;
  }

  private void skipWhitespace() {
    while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
      pos++;
    }
  }

  private char peek() {
    if (pos >= text.length()) {
      throw error("unexpected end of input");
    }
    return text.charAt(pos);
  }

  private char next() {
    char c = peek();
    pos++;
    return c;
  }

  private void expect(char c) {
    if (next() != c) {
      throw error("'" + c + "' is expected");
    }
  }

  private JsonException error(String problem) {
    return new JsonException(problem + " at offset " + pos);
  }
}
