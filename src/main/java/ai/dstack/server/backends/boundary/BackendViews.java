package ai.dstack.server.backends.boundary;

import jakarta.json.bind.annotation.JsonbPropertyOrder;

/** Backend models with a fixed shape; configs themselves are JSON trees. */
public final class BackendViews {
  private BackendViews() {}

  @JsonbPropertyOrder({"name", "configYaml"})
  public record BackendInfoYaml(String name, String configYaml) {}
}
