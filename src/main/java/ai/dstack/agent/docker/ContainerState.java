package ai.dstack.agent.docker;

import ai.dstack.agent.json.Json;
import java.util.Map;

/**
 * A container's state as {@code docker inspect --format '{{json .State}}'} tells it.
 *
 * @param status Docker's word for it: created, running, exited, …
 * @param exitCode meaningful once not running
 * @param error why the daemon could not start it, or empty
 */
public record ContainerState(
    String status, boolean running, int exitCode, boolean oomKilled, String error) {
  /**
   * Parses that JSON.
   *
   * @throws ai.dstack.agent.json.JsonException when it is not such an object
   */
  public static ContainerState parse(String json) {
    Map<String, Object> state = Json.parseObject(json.strip());
    String error = Json.string(state, "Error");
    return new ContainerState(
        Json.string(state, "Status"),
        Json.bool(state, "Running", false),
        Math.toIntExact(Json.number(state, "ExitCode", 0)),
        Json.bool(state, "OOMKilled", false),
        error == null ? "" : error);
  }
}
