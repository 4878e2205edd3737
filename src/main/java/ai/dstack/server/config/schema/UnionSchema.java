package ai.dstack.server.config.schema;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A discriminated union: the value of one field (usually {@code type}) picks the model. */
public final class UnionSchema implements Schema {
  private final String discriminator;
  private final Map<String, ObjectSchema> variants;

  private UnionSchema(String discriminator, Map<String, ObjectSchema> variants) {
    this.discriminator = discriminator;
    this.variants = variants;
  }

  /**
   * Each variant declares the discriminator as a {@link Schemas.LiteralSchema} field; every value
   * of that literal selects the variant.
   */
  public static UnionSchema of(String discriminator, List<ObjectSchema> variants) {
    Map<String, ObjectSchema> byValue = new LinkedHashMap<>();
    for (ObjectSchema variant : variants) {
      if (!(variant.fieldSchema(discriminator) instanceof Schemas.LiteralSchema literal)) {
        throw new IllegalArgumentException("variant without a literal '" + discriminator + "'");
      }
      literal.values().forEach(value -> byValue.put(value, variant));
    }
    return new UnionSchema(discriminator, byValue);
  }

  public List<String> values() {
    return new ArrayList<>(variants.keySet());
  }

  public ObjectSchema variant(String value) {
    return variants.get(value);
  }

  @Override
  public Object normalize(Object value, List<Object> path) {
    if (!(value instanceof Map<?, ?> map)) {
      throw new SchemaViolation(path, "value is not a valid dict");
    }
    if (!map.containsKey(discriminator)) {
      throw new SchemaViolation(path, "Discriminator '" + discriminator + "' is missing in value");
    }
    Object tag = map.get(discriminator);
    ObjectSchema variant = tag instanceof String text ? variants.get(text) : null;
    if (variant == null) {
      throw new SchemaViolation(
          path,
          "No match for discriminator '"
              + discriminator
              + "' and value "
              + (tag instanceof String ? "'" + tag + "'" : String.valueOf(tag))
              + " (allowed values: "
              + Schemas.quoted(values())
              + ")");
    }
    return variant.normalize(value, path);
  }
}
