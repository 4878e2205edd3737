package ai.dstack.server.fleets.boundary;

import ai.dstack.server.api.ApiException;
import ai.dstack.server.api.JsonOutput;
import ai.dstack.server.api.json.JsonInput;
import ai.dstack.server.config.schema.PlainTree;
import ai.dstack.server.config.schema.SchemaViolation;
import ai.dstack.server.fleets.control.FleetSchemas;
import ai.dstack.server.fleets.control.FleetSpecs;
import ai.dstack.server.fleets.entity.FleetEntity;
import ai.dstack.server.instances.entity.InstanceEntity;
import ai.dstack.server.projects.entity.ProjectEntity;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Fleets and instances as the CLI reads them (API.md §3.5), built as plain trees. */
public final class FleetViews {
  private FleetViews() {}

  /** A FleetSpec from a request, normalized; problems are FastAPI's 422 under {@code loc}. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> spec(JsonValue value, List<Object> loc) {
    if (value == null || value.getValueType() == JsonValue.ValueType.NULL) {
      throw ApiException.validation(
          List.of(JsonInput.issue(loc, "field required", "value_error.missing")));
    }
    try {
      return (Map<String, Object>) FleetSchemas.SPEC.normalize(PlainTree.fromJson(value));
    } catch (SchemaViolation v) {
      throw ApiException.validation(List.of(JsonInput.issue(loc, v)));
    }
  }

  public static Map<String, Object> fleet(
      FleetEntity fleet, ProjectEntity project, List<InstanceEntity> instances) {
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("id", fleet.getId());
    view.put("name", fleet.getName());
    view.put("project_name", project.getName());
    view.put("spec", FleetSpecs.parse(fleet.getSpec()));
    view.put("created_at", JsonOutput.datetime(fleet.getCreatedAt()));
    view.put("status", fleet.getStatus().wire());
    view.put("status_message", fleet.getStatusMessage());
    List<Object> items = new ArrayList<>();
    for (InstanceEntity instance : instances) {
      items.add(instance(instance, project.getName(), fleet.getName()));
    }
    view.put("instances", items);
    return view;
  }

  public static Map<String, Object> instance(
      InstanceEntity instance, String projectName, String fleetName) {
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("id", instance.getId());
    view.put("project_name", projectName);
    view.put("backend", instance.getBackend());
    view.put(
        "instance_type",
        instance.getInstanceType() == null
            ? placeholderType()
            : FleetSpecs.parse(instance.getInstanceType()));
    view.put("name", instance.getName());
    view.put("fleet_id", instance.getFleetId());
    view.put("fleet_name", fleetName);
    view.put("instance_num", (long) instance.getInstanceNum());
    view.put("job_name", null);
    view.put("hostname", instance.getHostname());
    view.put("status", instance.getStatus().wire());
    view.put("unreachable", instance.isUnreachable());
    view.put("health_status", instance.getHealthStatus().toLowerCase());
    view.put("termination_reason", instance.getTerminationReason());
    view.put("termination_reason_message", instance.getTerminationReasonMessage());
    view.put("created", JsonOutput.datetime(instance.getCreatedAt()));
    view.put("finished_at", datetime(instance.getFinishedAt()));
    view.put("region", instance.getRegion());
    view.put("availability_zone", null);
    view.put("price", instance.getPrice());
    view.put(
        "total_blocks",
        instance.getTotalBlocks() == null ? null : (long) instance.getTotalBlocks());
    view.put("busy_blocks", (long) instance.getBusyBlocks());
    // not in upstream's model (the CLI ignores it): why a host is not ready yet
    view.put("status_message", instance.getStatusMessage());
    return view;
  }

  /** What upstream shows for an SSH host whose resources are not known yet. */
  private static Map<String, Object> placeholderType() {
    Map<String, Object> resources = new LinkedHashMap<>();
    resources.put("cpu_arch", null);
    resources.put("cpus", 2L);
    resources.put("memory_mib", 8L);
    resources.put("gpus", List.of());
    resources.put("spot", false);
    resources.put("disk", Map.of("size_mib", 102400L));
    resources.put("description", "");
    Map<String, Object> type = new LinkedHashMap<>();
    type.put("name", "ssh");
    type.put("resources", resources);
    return type;
  }

  private static String datetime(Instant instant) {
    return instant == null ? null : JsonOutput.datetime(instant);
  }

  /** A required list of integers; FastAPI's 422 entries otherwise. */
  static List<Long> integers(JsonObject body, String field) {
    JsonValue value = body.get(field);
    if (value == null || value.getValueType() == JsonValue.ValueType.NULL) {
      throw ApiException.validation(
          List.of(
              JsonInput.issue(List.of("body", field), "field required", "value_error.missing")));
    }
    if (value.getValueType() != JsonValue.ValueType.ARRAY) {
      throw ApiException.validation(
          List.of(
              JsonInput.issue(
                  List.of("body", field), "value is not a valid list", "type_error.list")));
    }
    List<Long> result = new ArrayList<>();
    int index = 0;
    for (JsonValue item : value.asJsonArray()) {
      if (!(item instanceof JsonNumber number) || !number.isIntegral()) {
        throw ApiException.validation(
            List.of(
                JsonInput.issue(
                    List.of("body", field, index),
                    "value is not a valid integer",
                    "type_error.integer")));
      }
      result.add(number.longValue());
      index++;
    }
    return result;
  }

  static JsonObject objectOrNull(JsonValue value) {
    return value == null || value.getValueType() != JsonValue.ValueType.OBJECT
        ? null
        : value.asJsonObject();
  }
}
