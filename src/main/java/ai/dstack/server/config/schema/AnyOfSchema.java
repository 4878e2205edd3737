package ai.dstack.server.config.schema;

import java.util.ArrayList;
import java.util.List;

/**
 * A plain {@code Union[A, B, ...]} without a discriminator: the first alternative that accepts the
 * value wins, as pydantic v1 tries them left to right.
 */
public final class AnyOfSchema implements Schema {
  private final List<Schema> alternatives;

  private AnyOfSchema(List<Schema> alternatives) {
    this.alternatives = alternatives;
  }

  public static AnyOfSchema of(List<? extends Schema> alternatives) {
    return new AnyOfSchema(List.copyOf(alternatives));
  }

  @Override
  public Object normalize(Object value, List<Object> path) {
    List<SchemaViolation> rejections = new ArrayList<>();
    for (Schema alternative : alternatives) {
      try {
        return alternative.normalize(value, path);
      } catch (SchemaViolation e) {
        rejections.add(e);
      }
    }
    throw new Violation(rejections);
  }

  /**
   * Every alternative refused the value; reported as the first one's problem, with all of them
   * available (pydantic lists the errors of each alternative).
   */
  public static final class Violation extends SchemaViolation {
    private final transient List<SchemaViolation> rejections;

    Violation(List<SchemaViolation> rejections) {
      super(rejections.get(0).path(), rejections.get(0).problem());
      this.rejections = List.copyOf(rejections);
    }

    public List<SchemaViolation> rejections() {
      return rejections;
    }
  }
}
