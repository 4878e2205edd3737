package ai.dstack.server.api.json;

import ai.dstack.server.api.ApiException;
import ai.dstack.server.config.schema.AnyOfSchema;
import ai.dstack.server.config.schema.PlainTree;
import ai.dstack.server.config.schema.Schema;
import ai.dstack.server.config.schema.SchemaViolation;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads a request body the way upstream's pydantic v1 models do: loose coercion of scalars, and
 * every problem collected with its field path ({@code loc}) into FastAPI's 422 list. Getters return
 * {@code null} for a bad value; {@link #validate()} then throws once with all problems. Unknown
 * fields are ignored (API.md §1.6 allows it).
 */
public final class JsonInput {
  private static final Set<String> TRUE_WORDS = Set.of("true", "1", "yes", "on", "t", "y");
  private static final Set<String> FALSE_WORDS = Set.of("false", "0", "no", "off", "f", "n");
  private static final Pattern PYTHON_INT = Pattern.compile("^[+-]?\\d+(_\\d+)*$");
  private static final Pattern UUID_TEXT =
      Pattern.compile("^(urn:uuid:)?\\{?[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}\\}?$");

  private final JsonObject object;
  private final List<Object> path;
  private final List<JsonObject> issues;

  private JsonInput(JsonObject object, List<Object> path, List<JsonObject> issues) {
    this.object = object;
    this.path = path;
    this.issues = issues;
  }

  /** A body the endpoint requires: absent or JSON null is "field required" at {@code ["body"]}. */
  public static JsonInput requiredBody(JsonValue body) {
    List<JsonObject> issues = new ArrayList<>();
    if (body == null || body.getValueType() == JsonValue.ValueType.NULL) {
      issues.add(issue(List.of("body"), "field required", "value_error.missing"));
      throw ApiException.validation(issues);
    }
    return root(body, issues);
  }

  /** A body that may be absent or {@code null}: defaults apply. */
  public static JsonInput optionalBody(JsonValue body) {
    List<JsonObject> issues = new ArrayList<>();
    if (body == null || body.getValueType() == JsonValue.ValueType.NULL) {
      return new JsonInput(JsonValue.EMPTY_JSON_OBJECT, List.of("body"), issues);
    }
    return root(body, issues);
  }

  /** Query parameters (the last of repeated ones, as Starlette), problems at {@code ["query"]}. */
  public static JsonInput query(Map<String, List<String>> params) {
    JsonObjectBuilder object = Json.createObjectBuilder();
    params.forEach(
        (name, values) -> {
          if (!values.isEmpty()) {
            object.add(name, values.get(values.size() - 1));
          }
        });
    return new JsonInput(object.build(), List.of("query"), new ArrayList<>());
  }

  private static JsonInput root(JsonValue body, List<JsonObject> issues) {
    if (body.getValueType() != JsonValue.ValueType.OBJECT) {
      issues.add(issue(List.of("body"), "value is not a valid dict", "type_error.dict"));
      throw ApiException.validation(issues);
    }
    return new JsonInput(body.asJsonObject(), List.of("body"), issues);
  }

  /** Throws the 422 if any getter found a problem. */
  public void validate() {
    if (!issues.isEmpty()) {
      throw ApiException.validation(issues);
    }
  }

  public boolean has(String field) {
    return object.containsKey(field)
        && object.get(field).getValueType() != JsonValue.ValueType.NULL;
  }

  public String string(String field) {
    return required(field, this::stringValue);
  }

  public String optString(String field) {
    return optional(field, this::stringValue);
  }

  /** An optional string of at most {@code maxLength} characters (pydantic's {@code max_length}). */
  public String optString(String field, int maxLength) {
    String value = optString(field);
    if (value != null && value.length() > maxLength) {
      issues.add(
          issue(
              at(field),
              "ensure this value has at most " + maxLength + " characters",
              "value_error.any_str.max_length",
              Json.createObjectBuilder().add("limit_value", maxLength).build()));
      return null;
    }
    return value;
  }

  /** A non-Optional field with a default: absent means the default, JSON null is an error. */
  public boolean bool(String field, boolean fallback) {
    Boolean value = defaulted(field, this::boolValue);
    return value == null ? fallback : value;
  }

  /** A required bool (no default): absent or null is an error. */
  public Boolean bool(String field) {
    return required(field, this::boolValue);
  }

  public Boolean optBool(String field) {
    return optional(field, this::boolValue);
  }

  /**
   * A non-Optional int with a default: absent means the default, JSON null is an error. An invalid
   * value is recorded for {@link #validate} and reads as the default until then.
   */
  public Integer integer(String field, int fallback, Integer min, Integer max) {
    return bounded(field, defaulted(field, this::intValue), fallback, min, max);
  }

  /** An {@code Optional[int]} with bounds: absent or null gives null. */
  public Integer optInteger(String field, Integer min, Integer max) {
    return bounded(field, optional(field, this::intValue), null, min, max);
  }

  private Integer bounded(
      String field, BigInteger value, Integer fallback, Integer min, Integer max) {
    if (value == null) {
      return fallback;
    }
    if (min != null && value.compareTo(BigInteger.valueOf(min)) < 0) {
      issues.add(
          issue(
              at(field),
              "ensure this value is greater than or equal to " + min,
              "value_error.number.not_ge",
              Json.createObjectBuilder().add("limit_value", min).build()));
      return fallback;
    }
    if (max != null && value.compareTo(BigInteger.valueOf(max)) > 0) {
      issues.add(
          issue(
              at(field),
              "ensure this value is less than or equal to " + max,
              "value_error.number.not_le",
              Json.createObjectBuilder().add("limit_value", max).build()));
      return fallback;
    }
    if (value.bitLength() >= Integer.SIZE) {
      issues.add(issue(at(field), "value is not a valid integer", "type_error.integer"));
      return fallback;
    }
    return value.intValue();
  }

  /** An enum sent as its lowercase value ({@code on-demand} for {@code ON_DEMAND}). */
  public <E extends Enum<E>> E enumValue(String field, Class<E> type) {
    return required(field, (value, loc) -> enumOf(value, loc, type));
  }

  public <E extends Enum<E>> E optEnum(String field, Class<E> type) {
    return optional(field, (value, loc) -> enumOf(value, loc, type));
  }

  public Instant optDatetime(String field) {
    return optional(field, this::datetimeValue);
  }

  public UUID optUuid(String field) {
    return optional(field, this::uuidValue);
  }

  /** A required {@code UUID4} field: any other UUID version is pydantic's version error. */
  public UUID uuid4(String field) {
    UUID value = required(field, this::uuidValue);
    if (value != null && value.version() != 4) {
      issues.add(
          issue(
              at(field),
              "uuid version 4 expected",
              "value_error.uuid.version",
              Json.createObjectBuilder().add("required_version", 4).build()));
      return null;
    }
    return value;
  }

  /** A string that must match a pattern, reported as pydantic's {@code constr(regex=…)} does. */
  public String optPattern(String field, Pattern pattern) {
    String value = optString(field);
    if (value != null && !pattern.matcher(value).find()) {
      issues.add(
          issue(
              at(field),
              "string does not match regex \"" + pattern.pattern() + "\"",
              "value_error.str.regex",
              Json.createObjectBuilder().add("pattern", pattern.pattern()).build()));
      return null;
    }
    return value;
  }

  /**
   * A required nested model read by a {@link Schema}, normalized to a plain tree; its problems
   * (every alternative's, for a plain union) join this body's 422.
   */
  public Object model(String field, Schema schema) {
    return required(field, (value, loc) -> modelValue(value, loc, schema));
  }

  /** An {@code Optional} nested model: absent or null is {@code null}. */
  public Object optModel(String field, Schema schema) {
    return optional(field, (value, loc) -> modelValue(value, loc, schema));
  }

  public List<String> stringList(String field) {
    return required(field, (value, loc) -> listOf(value, loc, this::stringValue));
  }

  public List<UUID> uuidList(String field) {
    return required(field, (value, loc) -> listOf(value, loc, this::uuidValue));
  }

  public <E extends Enum<E>> List<E> enumList(String field, Class<E> type) {
    return required(field, (value, loc) -> listOf(value, loc, (v, l) -> enumOf(v, l, type)));
  }

  /** An optional list of UUIDs with pydantic's {@code min_items}/{@code max_items}. */
  public List<UUID> optUuidList(String field, int minItems, int maxItems) {
    return sizedList(field, minItems, maxItems, false, this::uuidValue);
  }

  /** As {@link #optUuidList}, but items may be null ({@code list[Optional[UUID]]}). */
  public List<UUID> optNullableUuidList(String field, int minItems, int maxItems) {
    return sizedList(field, minItems, maxItems, true, this::uuidValue);
  }

  public <E extends Enum<E>> List<E> optEnumList(
      String field, Class<E> type, int minItems, int maxItems) {
    return sizedList(field, minItems, maxItems, false, (v, l) -> enumOf(v, l, type));
  }

  /** A model-level ({@code root_validator}) error, at {@code [..., "__root__"]}. */
  public void rootError(String msg) {
    issues.add(issue(at("__root__"), msg, "value_error"));
  }

  /** The length is checked before the items, as pydantic's constrained lists do. */
  private <T> List<T> sizedList(
      String field, int minItems, int maxItems, boolean nullItems, Reader<T> item) {
    return optional(
        field,
        (value, loc) -> {
          if (value.getValueType() == JsonValue.ValueType.ARRAY) {
            int size = value.asJsonArray().size();
            if (size < minItems || size > maxItems) {
              boolean tooFew = size < minItems;
              issues.add(
                  issue(
                      loc,
                      "ensure this value has "
                          + (tooFew ? "at least " + minItems : "at most " + maxItems)
                          + " items",
                      tooFew ? "value_error.list.min_items" : "value_error.list.max_items",
                      Json.createObjectBuilder()
                          .add("limit_value", tooFew ? minItems : maxItems)
                          .build()));
              return null;
            }
          }
          return listOf(value, loc, item, nullItems);
        });
  }

  /** A path parameter typed as an enum: FastAPI's 422 at {@code ["path", name]} if unknown. */
  public static <E extends Enum<E>> E pathEnum(String name, String value, Class<E> type) {
    JsonInput path =
        new JsonInput(
            Json.createObjectBuilder().add(name, value).build(),
            List.of("path"),
            new ArrayList<>());
    E constant = path.enumValue(name, type);
    path.validate();
    return constant;
  }

  public List<JsonInput> objectList(String field) {
    return required(field, (value, loc) -> listOf(value, loc, this::objectValue));
  }

  private <T> T required(String field, Reader<T> reader) {
    List<Object> loc = at(field);
    JsonValue value = object.get(field);
    if (value == null) {
      issues.add(issue(loc, "field required", "value_error.missing"));
      return null;
    }
    if (value.getValueType() == JsonValue.ValueType.NULL) {
      issues.add(issue(loc, "none is not an allowed value", "type_error.none.not_allowed"));
      return null;
    }
    return reader.read(value, loc);
  }

  private <T> T defaulted(String field, Reader<T> reader) {
    JsonValue value = object.get(field);
    if (value == null) {
      return null;
    }
    if (value.getValueType() == JsonValue.ValueType.NULL) {
      issues.add(issue(at(field), "none is not an allowed value", "type_error.none.not_allowed"));
      return null;
    }
    return reader.read(value, at(field));
  }

  private <T> T optional(String field, Reader<T> reader) {
    JsonValue value = object.get(field);
    if (value == null || value.getValueType() == JsonValue.ValueType.NULL) {
      return null;
    }
    return reader.read(value, at(field));
  }

  private String stringValue(JsonValue value, List<Object> loc) {
    return switch (value.getValueType()) {
      case STRING -> ((JsonString) value).getString();
      case NUMBER -> value.toString();
      // bool is an int in Python, and pydantic v1 turns ints into str(v)
      case TRUE -> "True";
      case FALSE -> "False";
      default -> {
        issues.add(issue(loc, "str type expected", "type_error.str"));
        yield null;
      }
    };
  }

  private Boolean boolValue(JsonValue value, List<Object> loc) {
    switch (value.getValueType()) {
      case TRUE:
        return true;
      case FALSE:
        return false;
      case NUMBER:
      case STRING:
        String text =
            value instanceof JsonString s ? s.getString().toLowerCase(Locale.ROOT) : number(value);
        if (TRUE_WORDS.contains(text)) {
          return true;
        }
        if (FALSE_WORDS.contains(text)) {
          return false;
        }
        break;
      default:
        break;
    }
    issues.add(issue(loc, "value could not be parsed to a boolean", "type_error.bool"));
    return null;
  }

  /**
   * pydantic v1's int: a bool is 0 or 1, a float is truncated toward zero, a string is read as
   * Python's {@code int()} reads it (surrounding blanks allowed, no decimals or exponents).
   */
  private BigInteger intValue(JsonValue value, List<Object> loc) {
    switch (value.getValueType()) {
      case TRUE:
        return BigInteger.ONE;
      case FALSE:
        return BigInteger.ZERO;
      case NUMBER:
        JsonNumber number = (JsonNumber) value;
        if (number.isIntegral()) {
          return number.bigIntegerValue();
        }
        // a JSON float is a Python float: int() truncates it, and fails on inf
        double d = number.doubleValue();
        if (Double.isFinite(d)) {
          return new BigDecimal(d).toBigInteger();
        }
        break;
      case STRING:
        String text = ((JsonString) value).getString().strip();
        if (PYTHON_INT.matcher(text).matches()) {
          return new BigInteger(text.replace("_", ""));
        }
        break;
      default:
        break;
    }
    issues.add(issue(loc, "value is not a valid integer", "type_error.integer"));
    return null;
  }

  /** A JSON number as pydantic v1 compares it with its bool words: 1, 0 or something else. */
  private static String number(JsonValue value) {
    double d = ((JsonNumber) value).doubleValue();
    return d == 1 ? "1" : d == 0 ? "0" : "other";
  }

  private <E extends Enum<E>> E enumOf(JsonValue value, List<Object> loc, Class<E> type) {
    String text = value instanceof JsonString s ? s.getString() : null;
    for (E constant : type.getEnumConstants()) {
      if (wireValue(constant).equals(text)) {
        return constant;
      }
    }
    List<String> permitted =
        Arrays.stream(type.getEnumConstants()).map(JsonInput::wireValue).toList();
    JsonArrayBuilder values = Json.createArrayBuilder();
    permitted.forEach(values::add);
    issues.add(
        issue(
            loc,
            "value is not a valid enumeration member; permitted: "
                + permitted.stream().map(p -> "'" + p + "'").collect(Collectors.joining(", ")),
            "type_error.enum",
            Json.createObjectBuilder().add("enum_values", values).build()));
    return null;
  }

  public static String wireValue(Enum<?> constant) {
    return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  private Instant datetimeValue(JsonValue value, List<Object> loc) {
    if (value instanceof JsonString s) {
      String text = s.getString().trim().replace(' ', 'T');
      try {
        return OffsetDateTime.parse(text).toInstant();
      } catch (DateTimeParseException e) {
        try {
          // a naive datetime is UTC, as the client treats it
          return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException ignored) {
          // reported below
        }
      }
    } else if (value instanceof JsonNumber n) {
      return Instant.ofEpochMilli(Math.round(n.doubleValue() * 1000));
    }
    issues.add(issue(loc, "invalid datetime format", "value_error.datetime"));
    return null;
  }

  private UUID uuidValue(JsonValue value, List<Object> loc) {
    if (value instanceof JsonString s && UUID_TEXT.matcher(s.getString()).matches()) {
      String hex = s.getString().replaceAll("(?i)urn:uuid:|[{}-]", "");
      return UUID.fromString(
          hex.substring(0, 8)
              + "-"
              + hex.substring(8, 12)
              + "-"
              + hex.substring(12, 16)
              + "-"
              + hex.substring(16, 20)
              + "-"
              + hex.substring(20));
    }
    issues.add(issue(loc, "value is not a valid uuid", "type_error.uuid"));
    return null;
  }

  private Object modelValue(JsonValue value, List<Object> loc, Schema schema) {
    try {
      return schema.normalize(PlainTree.fromJson(value), List.of());
    } catch (AnyOfSchema.Violation v) {
      v.rejections().forEach(r -> issues.add(issue(loc, r)));
    } catch (SchemaViolation v) {
      issues.add(issue(loc, v));
    }
    return null;
  }

  private JsonInput objectValue(JsonValue value, List<Object> loc) {
    if (value.getValueType() != JsonValue.ValueType.OBJECT) {
      issues.add(issue(loc, "value is not a valid dict", "type_error.dict"));
      return null;
    }
    return new JsonInput(value.asJsonObject(), loc, issues);
  }

  private <T> List<T> listOf(JsonValue value, List<Object> loc, Reader<T> item) {
    return listOf(value, loc, item, false);
  }

  private <T> List<T> listOf(JsonValue value, List<Object> loc, Reader<T> item, boolean nullItems) {
    if (value.getValueType() != JsonValue.ValueType.ARRAY) {
      issues.add(issue(loc, "value is not a valid list", "type_error.list"));
      return null;
    }
    JsonArray array = value.asJsonArray();
    List<T> items = new ArrayList<>(array.size());
    int before = issues.size();
    for (int i = 0; i < array.size(); i++) {
      List<Object> itemLoc = new ArrayList<>(loc);
      itemLoc.add(i);
      JsonValue element = array.get(i);
      if (element.getValueType() == JsonValue.ValueType.NULL) {
        if (nullItems) {
          items.add(null);
          continue;
        }
        issues.add(issue(itemLoc, "none is not an allowed value", "type_error.none.not_allowed"));
        continue;
      }
      items.add(item.read(element, itemLoc));
    }
    return issues.size() == before ? items : null;
  }

  private List<Object> at(String field) {
    List<Object> loc = new ArrayList<>(path);
    loc.add(field);
    return loc;
  }

  /**
   * One entry of FastAPI's 422 list: {@code loc} (names and indexes), {@code msg}, {@code type}.
   */
  public static JsonObject issue(List<Object> loc, String msg, String type) {
    return issue(loc, msg, type, null);
  }

  /** The 422 entry of a schema violation found in the part of the request at {@code prefix}. */
  public static JsonObject issue(List<Object> prefix, SchemaViolation violation) {
    List<Object> loc = new ArrayList<>(prefix);
    loc.addAll(violation.path());
    return issue(loc, violation.problem(), violation.errorType());
  }

  private static JsonObject issue(List<Object> loc, String msg, String type, JsonObject ctx) {
    JsonArrayBuilder locArray = Json.createArrayBuilder();
    for (Object part : loc) {
      if (part instanceof Integer index) {
        locArray.add(index);
      } else {
        locArray.add(part.toString());
      }
    }
    JsonObjectBuilder entry =
        Json.createObjectBuilder().add("loc", locArray).add("msg", msg).add("type", type);
    if (ctx != null) {
      entry.add("ctx", ctx);
    }
    return entry.build();
  }

  @FunctionalInterface
  private interface Reader<T> {
    T read(JsonValue value, List<Object> loc);
  }
}
