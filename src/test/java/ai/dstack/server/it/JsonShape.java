package ai.dstack.server.it;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Compares the shape of a JSON response with a reference one (a recorded upstream response, or a
 * template written after it): the same keys at every level, the same JSON types, null where the
 * reference has null, booleans and enum-like values equal. Other strings may differ in value but
 * must keep the reference's format (a v4 UUID, a {@code +00:00} datetime, an OpenSSH public key).
 */
public final class JsonShape {
  /** Fields whose values are enum members: they must be equal, not just strings. */
  private static final Set<String> ENUM_FIELDS =
      Set.of("global_role", "project_role", "code", "type");

  public static final Pattern UUID4 =
      Pattern.compile("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");

  /** How upstream writes datetimes: UTC, explicit {@code +00:00}, microseconds only if non-zero. */
  public static final Pattern DATETIME =
      Pattern.compile("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{6})?\\+00:00$");

  private static final Pattern ANY_DATETIME =
      Pattern.compile("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?([+-]\\d{2}:\\d{2}|Z)$");
  private static final Pattern ANY_UUID =
      Pattern.compile(
          "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
  private static final Pattern SSH_RSA_LINE =
      Pattern.compile("^ssh-rsa AAAA[A-Za-z0-9+/]+=* \\S+\\n$");

  private JsonShape() {}

  /** Every difference between the two shapes, one line each, with its JSON path. */
  public static List<String> differences(JsonValue expected, JsonValue actual) {
    List<String> out = new ArrayList<>();
    compare("$", null, expected, actual, out);
    return out;
  }

  /** Fails with the list of differences, if there are any. */
  public static void assertSameShape(JsonValue expected, JsonValue actual) {
    List<String> diffs = differences(expected, actual);
    if (!diffs.isEmpty()) {
      fail(
          "response shape differs from the reference:\n  "
              + String.join("\n  ", diffs)
              + "\nreference: "
              + expected
              + "\nactual:    "
              + actual);
    }
  }

  /** Every {@code id}/{@code project_id} is a v4 UUID and every datetime carries +00:00. */
  public static void assertIdsAndDatetimes(JsonValue value) {
    List<String> problems = new ArrayList<>();
    walk("$", null, value, problems);
    assertTrue(problems.isEmpty(), () -> String.join("\n", problems) + "\nin " + value);
  }

  private static void walk(String path, String key, JsonValue value, List<String> problems) {
    switch (value.getValueType()) {
      case OBJECT -> value.asJsonObject().forEach((k, v) -> walk(path + "." + k, k, v, problems));
      case ARRAY -> {
        JsonArray array = value.asJsonArray();
        for (int i = 0; i < array.size(); i++) {
          walk(path + "[" + i + "]", key, array.get(i), problems);
        }
      }
      case STRING -> {
        String text = ((JsonString) value).getString();
        if (("id".equals(key) || "project_id".equals(key)) && !UUID4.matcher(text).matches()) {
          problems.add(path + ": not a lower-case v4 UUID: " + text);
        }
        if ((key != null && (key.endsWith("_at") || ANY_DATETIME.matcher(text).matches()))
            && !DATETIME.matcher(text).matches()) {
          problems.add(path + ": not a +00:00 datetime: " + text);
        }
      }
      default -> {}
    }
  }

  private static void compare(
      String path, String key, JsonValue expected, JsonValue actual, List<String> out) {
    JsonValue.ValueType want = kind(expected);
    JsonValue.ValueType got = kind(actual);
    if (want != got) {
      out.add(path + ": expected " + describe(expected) + " but got " + describe(actual));
      return;
    }
    switch (want) {
      case OBJECT -> compareObjects(path, expected.asJsonObject(), actual.asJsonObject(), out);
      case ARRAY -> compareArrays(path, key, expected.asJsonArray(), actual.asJsonArray(), out);
      case NUMBER -> {
        boolean wantInt = ((JsonNumber) expected).isIntegral();
        boolean gotInt = ((JsonNumber) actual).isIntegral();
        if (wantInt != gotInt) {
          out.add(path + ": expected an " + (wantInt ? "integer" : "float") + " but got " + actual);
        }
      }
      case TRUE, FALSE -> {
        if (expected.getValueType() != actual.getValueType()) {
          out.add(path + ": expected " + expected + " but got " + actual);
        }
      }
      case STRING ->
          compareStrings(
              path,
              key,
              ((JsonString) expected).getString(),
              ((JsonString) actual).getString(),
              out);
      default -> {}
    }
  }

  private static void compareObjects(
      String path, JsonObject expected, JsonObject actual, List<String> out) {
    Set<String> missing = new TreeSet<>(expected.keySet());
    missing.removeAll(actual.keySet());
    Set<String> extra = new TreeSet<>(actual.keySet());
    extra.removeAll(expected.keySet());
    if (!missing.isEmpty()) {
      out.add(path + ": missing keys " + missing);
    }
    if (!extra.isEmpty()) {
      out.add(path + ": unexpected keys " + extra);
    }
    for (String k : expected.keySet()) {
      if (actual.containsKey(k)) {
        compare(path + "." + k, k, expected.get(k), actual.get(k), out);
      }
    }
  }

  /**
   * An empty reference array needs an empty answer; otherwise items are compared one to one when
   * the lengths agree, else each item against the reference's first.
   */
  private static void compareArrays(
      String path, String key, JsonArray expected, JsonArray actual, List<String> out) {
    if (expected.isEmpty() != actual.isEmpty()) {
      out.add(path + ": expected " + expected.size() + " items but got " + actual.size());
      return;
    }
    for (int i = 0; i < actual.size(); i++) {
      JsonValue reference = expected.size() == actual.size() ? expected.get(i) : expected.get(0);
      compare(path + "[" + i + "]", key, reference, actual.get(i), out);
    }
  }

  private static void compareStrings(
      String path, String key, String expected, String actual, List<String> out) {
    if (key != null && ENUM_FIELDS.contains(key)) {
      if (!expected.equals(actual)) {
        out.add(path + ": expected enum value \"" + expected + "\" but got \"" + actual + "\"");
      }
      return;
    }
    if (ANY_UUID.matcher(expected).matches() && !UUID4.matcher(actual).matches()) {
      out.add(path + ": expected a v4 UUID but got \"" + actual + "\"");
    } else if (ANY_DATETIME.matcher(expected).matches() && !DATETIME.matcher(actual).matches()) {
      out.add(path + ": expected a +00:00 datetime but got \"" + actual + "\"");
    } else if (SSH_RSA_LINE.matcher(expected).matches()
        && !SSH_RSA_LINE.matcher(actual).matches()) {
      out.add(path + ": expected an OpenSSH ssh-rsa line but got \"" + actual + "\"");
    }
  }

  /** TRUE and FALSE are one kind here; their values are compared separately. */
  private static JsonValue.ValueType kind(JsonValue value) {
    return value.getValueType() == JsonValue.ValueType.FALSE
        ? JsonValue.ValueType.TRUE
        : value.getValueType();
  }

  private static String describe(JsonValue value) {
    String text = value.toString();
    String shown = text.length() > 60 ? text.substring(0, 60) + "…" : text;
    return switch (value.getValueType()) {
      case TRUE, FALSE -> "a boolean (" + shown + ")";
      case NULL -> "null";
      default -> "a " + value.getValueType().name().toLowerCase() + " (" + shown + ")";
    };
  }
}
