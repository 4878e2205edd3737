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
}
