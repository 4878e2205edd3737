package ai.dstack.server.config.schema;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A model with named fields in declaration order; unknown fields are rejected ("extra fields not
 * permitted"), absent optional fields take their default.
 */
public final class ObjectSchema implements Schema {
  private final Map<String, Field> fields;
  private final List<UnaryOperator<Map<String, Object>>> checks;

  private ObjectSchema(Map<String, Field> fields, List<UnaryOperator<Map<String, Object>>> checks) {
    this.fields = fields;
    this.checks = checks;
  }

  public static Builder builder() {
    return new Builder(new LinkedHashMap<>(), new ArrayList<>());
  }

  /** A model that extends this one (pydantic subclassing): same fields first, then more. */
  public Builder extend() {
    return new Builder(new LinkedHashMap<>(fields), new ArrayList<>(checks));
  }

  public List<String> fieldNames() {
    return List.copyOf(fields.keySet());
  }

  public Schema fieldSchema(String name) {
    Field field = fields.get(name);
    return field == null ? null : field.schema;
  }

  @Override
  public Object normalize(Object value, List<Object> path) {
    if (!(value instanceof Map<?, ?> input)) {
      throw new SchemaViolation(path, "value is not a valid dict");
    }
    Map<String, Object> normalized = new LinkedHashMap<>();
    for (Field field : fields.values()) {
      List<Object> fieldPath = FieldPath.child(path, field.name);
      if (!input.containsKey(field.name)) {
        if (field.required) {
          throw new SchemaViolation(fieldPath, "field required");
        }
        normalized.put(field.name, field.defaultValue);
        continue;
      }
      Object given = input.get(field.name);
      if (given == null) {
        if (!field.nullable) {
          throw new SchemaViolation(fieldPath, "none is not an allowed value");
        }
        normalized.put(field.name, null);
      } else {
        normalized.put(field.name, field.schema.normalize(given, fieldPath));
      }
    }
    for (Object key : input.keySet()) {
      if (!(key instanceof String name) || !fields.containsKey(name)) {
        throw new SchemaViolation(
            FieldPath.child(path, String.valueOf(key)), "extra fields not permitted");
      }
    }
    for (UnaryOperator<Map<String, Object>> check : checks) {
      try {
        normalized = check.apply(normalized);
      } catch (IllegalArgumentException e) {
        throw new SchemaViolation(path, e.getMessage());
      }
    }
    return normalized;
  }

  private record Field(
      String name, Schema schema, boolean required, boolean nullable, Object defaultValue) {}

  public static final class Builder {
    private final Map<String, Field> fields;
    private final List<UnaryOperator<Map<String, Object>>> checks;

    private Builder(Map<String, Field> fields, List<UnaryOperator<Map<String, Object>>> checks) {
      this.fields = fields;
      this.checks = checks;
    }

    /** A field that must be present and not null. */
    public Builder required(String name, Schema schema) {
      fields.put(name, new Field(name, schema, true, false, null));
      return this;
    }

    /** {@code Optional[X] = None}. */
    public Builder optional(String name, Schema schema) {
      fields.put(name, new Field(name, schema, false, true, null));
      return this;
    }

    /** A field with a default; {@code nullable} says whether an explicit null is accepted. */
    public Builder defaulted(String name, Schema schema, Object defaultValue, boolean nullable) {
      fields.put(name, new Field(name, schema, false, nullable, defaultValue));
      return this;
    }

    /**
     * A whole-model rule (pydantic's root validator) run after the fields: returns the possibly
     * adjusted model, or throws IllegalArgumentException with the message.
     */
    public Builder check(UnaryOperator<Map<String, Object>> check) {
      checks.add(check);
      return this;
    }

    public ObjectSchema build() {
      return new ObjectSchema(new LinkedHashMap<>(fields), List.copyOf(checks));
    }
  }
}
