package ai.dstack.server.runs.control;

import ai.dstack.server.api.ApiException;
import ai.dstack.server.api.json.JsonInput;
import ai.dstack.server.config.schema.PlainTree;
import ai.dstack.server.config.schema.SchemaViolation;
import ai.dstack.server.fleets.control.FleetSpecs;
import ai.dstack.server.fleets.control.ResourceNames;
import jakarta.json.JsonValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Run specs as the server uses them: read from a request (422 on a malformed one), checked (400 on
 * a rule upstream enforces), and the effective spec with the server's defaults (API.md §3.4
 * RunPlan).
 */
public final class RunSpecs {
  /** Configuration fields an active run may change in place (API.md §3.4). */
  private static final Set<String> UPDATABLE_IN_PLACE = Set.of("priority", "inactivity_duration");

  private RunSpecs() {}

  /** The request's spec in its echo form, or a 422 naming {@code loc}. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> read(JsonValue value, List<Object> loc) {
    if (value == null || value.getValueType() == JsonValue.ValueType.NULL) {
      throw ApiException.validation(
          List.of(JsonInput.issue(loc, "field required", "value_error.missing")));
    }
    Map<String, Object> spec;
    try {
      spec = (Map<String, Object>) RunSchemas.SPEC.normalize(PlainTree.fromJson(value));
    } catch (SchemaViolation v) {
      throw ApiException.validation(List.of(JsonInput.issue(loc, v)));
    }
    Map<String, Object> configuration = configuration(spec);
    if ("task".equals(configuration.get("type"))
        && ((List<?>) configuration.get("commands")).isEmpty()
        && configuration.get("image") == null) {
      throw ApiException.validation(
          List.of(
              JsonInput.issue(
                  concat(loc, "configuration"),
                  "Either `commands` or `image` must be set",
                  "value_error")));
    }
    return spec;
  }

  /** A stored spec (JSON text) as a tree. */
  public static Map<String, Object> parse(String json) {
    return FleetSpecs.parse(json);
  }

  /**
   * The spec with the server's defaults: name checked, repo defaulted to the virtual repo {@code
   * none}, the user's key, priority 0, the GPU vendor inferred as upstream does.
   */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> effective(Map<String, Object> spec, String userSshPublicKey) {
    Map<String, Object> effective = (Map<String, Object>) RunSchemas.copy(spec);
    String name = (String) effective.get("run_name");
    if (name != null) {
      ResourceNames.requireValid(name);
    }
    if (effective.get("repo_id") == null && effective.get("repo_data") == null) {
      effective.put("repo_id", "none");
      effective.put("repo_data", new LinkedHashMap<>(Map.of("repo_type", "virtual")));
    }
    if (effective.get("repo_data") instanceof Map<?, ?> data
        && "local".equals(data.get("repo_type"))) {
      throw ApiException.error("Local repos are not supported since 0.20.0");
    }
    if (effective.get("ssh_key_pub") == null) {
      if (userSshPublicKey == null) {
        throw ApiException.error("ssh_key_pub must be set if the user has no ssh_public_key");
      }
      effective.put("ssh_key_pub", userSshPublicKey);
    }
    Map<String, Object> configuration = configuration(effective);
    if (configuration.get("priority") == null) {
      configuration.put("priority", 0L);
    }
    Map<String, Object> resources = (Map<String, Object>) configuration.get("resources");
    if (resources.get("gpu") instanceof Map<?, ?> gpuMap) {
      Map<String, Object> gpu = (Map<String, Object>) gpuMap;
      Map<String, Object> count = (Map<String, Object>) gpu.get("count");
      boolean wantsGpu = count == null || !Objects.equals(count.get("max"), 0L);
      if (gpu.get("vendor") == null
          && gpu.get("name") == null
          && wantsGpu
          && configuration.get("image") == null
          && !Boolean.TRUE.equals(configuration.get("docker"))) {
        gpu.put("vendor", "nvidia");
      }
    }
    return effective;
  }

  @SuppressWarnings("unchecked")
  public static Map<String, Object> configuration(Map<String, Object> spec) {
    return (Map<String, Object>) spec.get("configuration");
  }

  /**
   * A profile value as upstream's merged profile has it: the configuration's value when set, else
   * the profile's.
   */
  @SuppressWarnings("unchecked")
  public static Object merged(Map<String, Object> spec, String field) {
    Object own = configuration(spec).get(field);
    if (own != null) {
      return own;
    }
    Object profile = spec.get("profile");
    return profile instanceof Map<?, ?> map ? ((Map<String, Object>) map).get(field) : null;
  }

  /**
   * Whether an active run with {@code current} can become {@code next} without a new submission:
   * only the configuration path and in-place fields differ (API.md §3.4 "Updatable in place").
   */
  public static boolean updatableInPlace(Map<String, Object> current, Map<String, Object> next) {
    Map<String, Object> a = withoutInPlaceFields(current);
    Map<String, Object> b = withoutInPlaceFields(next);
    return a.equals(b);
  }

  /** A service also changes replicas, scaling and, by a rolling deployment, its replicas' spec. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> withoutInPlaceFields(Map<String, Object> spec) {
    Map<String, Object> copy = (Map<String, Object>) RunSchemas.copy(spec);
    copy.remove("configuration_path");
    copy.remove("ssh_key_pub");
    Map<String, Object> configuration = configuration(copy);
    UPDATABLE_IN_PLACE.forEach(configuration::remove);
    if (ServiceSpecs.isService(spec)) {
      configuration.remove("replicas");
      configuration.remove("scaling");
      ServiceSpecs.ROLLING_FIELDS.forEach(configuration::remove);
      copy.remove("repo_data");
      copy.remove("repo_code_hash");
      copy.remove("file_archives");
    }
    return copy;
  }

  private static List<Object> concat(List<Object> loc, Object more) {
    List<Object> out = new ArrayList<>(loc);
    out.add(more);
    return out;
  }
}
