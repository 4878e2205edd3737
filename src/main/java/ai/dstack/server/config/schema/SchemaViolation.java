package ai.dstack.server.config.schema;

import java.util.List;

/** The first problem found in a value, with the path of the field that has it. */
public class SchemaViolation extends RuntimeException {
  private final List<Object> path;
  private final String problem;

  public SchemaViolation(List<Object> path, String problem) {
    super(FieldPath.format(path) + ": " + problem);
    this.path = List.copyOf(path);
    this.problem = problem;
  }

  /** Field names and list indexes from the root. */
  public List<Object> path() {
    return path;
  }

  public String problem() {
    return problem;
  }

  /** The path as written in a config file, e.g. {@code projects[0].backends[1].creds}. */
  public String dottedPath() {
    return FieldPath.format(path);
  }

  /** pydantic v1's error type for the problem, as FastAPI's 422 entries carry it. */
  public String errorType() {
    if (problem.equals("field required")) {
      return "value_error.missing";
    }
    if (problem.equals("extra fields not permitted")) {
      return "value_error.extra";
    }
    if (problem.equals("none is not an allowed value")) {
      return "type_error.none.not_allowed";
    }
    if (problem.startsWith("unexpected value; permitted:")) {
      return "value_error.const";
    }
    if (problem.startsWith("string does not match regex")) {
      return "value_error.str.regex";
    }
    if (problem.startsWith("ensure this value has at most")) {
      return "value_error.list.max_items";
    }
    if (problem.startsWith("Discriminator ")) {
      return "value_error.discriminated_union.missing_discriminator";
    }
    if (problem.startsWith("No match for discriminator")) {
      return "value_error.discriminated_union.invalid_discriminator";
    }
    return switch (problem) {
      case "str type expected" -> "type_error.str";
      case "value is not a valid dict" -> "type_error.dict";
      case "value is not a valid list" -> "type_error.list";
      case "value is not a valid integer" -> "type_error.integer";
      case "value could not be parsed to a boolean" -> "type_error.bool";
      // what is left are the messages of whole-model rules (root validators)
      default -> "value_error";
    };
  }
}
