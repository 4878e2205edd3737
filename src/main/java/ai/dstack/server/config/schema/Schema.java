package ai.dstack.server.config.schema;

import java.util.List;

/**
 * A strict model of a value, the way upstream's pydantic v1 models (extra fields forbidden) read
 * config files and request bodies. The input is a plain tree (maps, lists, strings, numbers,
 * booleans, nulls) as SnakeYAML or {@link PlainTree} produce it; the output is the same kind of
 * tree with maps in declaration order and defaults filled in.
 */
public interface Schema {
  /**
   * The normalized value; {@link SchemaViolation} at the first problem. {@code value} is never
   * null: whether null is allowed is decided by the enclosing object or list.
   */
  Object normalize(Object value, List<Object> path);

  /** Normalizes a whole document. */
  default Object normalize(Object value) {
    if (value == null) {
      throw new SchemaViolation(List.of(), "none is not an allowed value");
    }
    return normalize(value, List.of());
  }
}
