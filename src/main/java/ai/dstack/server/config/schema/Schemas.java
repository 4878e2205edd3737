package ai.dstack.server.config.schema;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Scalar, list and map schemas with pydantic v1's coercions and messages. */
public final class Schemas {
  private static final Set<String> TRUE_WORDS = Set.of("true", "1", "yes", "on", "t", "y");
  private static final Set<String> FALSE_WORDS = Set.of("false", "0", "no", "off", "f", "n");

  private Schemas() {}

  /** A string; numbers are taken as their text (pydantic does the same), booleans are not. */
  public static Schema string() {
    return (value, path) -> {
      if (value instanceof String text) {
        return text;
      }
      if (value instanceof Number number && !(value instanceof Double || value instanceof Float)) {
        return number.toString();
      }
      throw new SchemaViolation(path, "str type expected");
    };
  }

  /** A string matching a regular expression (searched from the start, as pydantic v1 does). */
  public static Schema string(Pattern pattern) {
    Schema text = string();
    return (value, path) -> {
      String normalized = (String) text.normalize(value, path);
      if (!pattern.matcher(normalized).lookingAt()) {
        throw new SchemaViolation(
            path, "string does not match regex \"" + pattern.pattern() + "\"");
      }
      return normalized;
    };
  }

  public static Schema bool() {
    return (value, path) -> {
      if (value instanceof Boolean flag) {
        return flag;
      }
      String word =
          value instanceof String text
              ? text.strip().toLowerCase()
              : value instanceof Integer || value instanceof Long ? value.toString() : null;
      if (word != null && TRUE_WORDS.contains(word)) {
        return true;
      }
      if (word != null && FALSE_WORDS.contains(word)) {
        return false;
      }
      throw new SchemaViolation(path, "value could not be parsed to a boolean");
    };
  }

  public static Schema integer() {
    return (value, path) -> {
      try {
        BigInteger number = null;
        if (value instanceof Integer || value instanceof Long) {
          number = BigInteger.valueOf(((Number) value).longValue());
        } else if (value instanceof BigInteger big) {
          number = big;
        } else if (value instanceof Double real) {
          number = new BigDecimal(real).toBigIntegerExact();
        } else if (value instanceof String text) {
          number = new BigInteger(text.strip());
        }
        if (number != null && number.bitLength() < 64) {
          return number.longValue();
        }
      } catch (ArithmeticException | NumberFormatException e) {
        // falls through to the violation
      }
      throw new SchemaViolation(path, "value is not a valid integer");
    };
  }

  /**
   * A schema with an extra rule (pydantic's field validator): {@code rule} returns the value to
   * keep or throws IllegalArgumentException with the message.
   */
  public static Schema validated(Schema schema, UnaryOperator<Object> rule) {
    return (value, path) -> {
      Object normalized = schema.normalize(value, path);
      try {
        return rule.apply(normalized);
      } catch (IllegalArgumentException e) {
        throw new SchemaViolation(path, e.getMessage());
      }
    };
  }

  /** Any JSON value, kept as given ({@code Any}): for parts the server only stores and echoes. */
  public static Schema any() {
    return (value, path) -> value;
  }

  /** One of fixed strings, as {@code Literal["a", "b"]}. */
  public static LiteralSchema literal(String... values) {
    return new LiteralSchema(List.of(values));
  }

  public static Schema listOf(Schema item) {
    return listOf(item, Integer.MAX_VALUE);
  }

  public static Schema listOf(Schema item, int maxItems) {
    return (value, path) -> {
      if (!(value instanceof List<?> list)) {
        throw new SchemaViolation(path, "value is not a valid list");
      }
      if (list.size() > maxItems) {
        throw new SchemaViolation(path, "ensure this value has at most " + maxItems + " items");
      }
      List<Object> normalized = new ArrayList<>(list.size());
      for (int i = 0; i < list.size(); i++) {
        List<Object> itemPath = FieldPath.child(path, i);
        Object element = list.get(i);
        if (element == null) {
          throw new SchemaViolation(itemPath, "none is not an allowed value");
        }
        normalized.add(item.normalize(element, itemPath));
      }
      return normalized;
    };
  }

  /** A mapping from string keys to values of one schema, as {@code Dict[str, X]}. */
  public static Schema mapOf(Schema valueSchema) {
    Schema key = string();
    return (value, path) -> {
      if (!(value instanceof Map<?, ?> map)) {
        throw new SchemaViolation(path, "value is not a valid dict");
      }
      Map<String, Object> normalized = new LinkedHashMap<>();
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        List<Object> entryPath = FieldPath.child(path, String.valueOf(entry.getKey()));
        String name = (String) key.normalize(entry.getKey() == null ? "" : entry.getKey(), path);
        if (entry.getValue() == null) {
          throw new SchemaViolation(entryPath, "none is not an allowed value");
        }
        normalized.put(name, valueSchema.normalize(entry.getValue(), entryPath));
      }
      return normalized;
    };
  }

  /** A fixed set of strings. */
  public static final class LiteralSchema implements Schema {
    private final List<String> values;

    LiteralSchema(List<String> values) {
      this.values = values;
    }

    public List<String> values() {
      return values;
    }

    @Override
    public Object normalize(Object value, List<Object> path) {
      if (value instanceof String text && values.contains(text)) {
        return text;
      }
      throw new SchemaViolation(path, "unexpected value; permitted: " + quoted(values));
    }
  }

  static String quoted(List<String> values) {
    return values.stream().map(v -> "'" + v + "'").collect(Collectors.joining(", "));
  }
}
