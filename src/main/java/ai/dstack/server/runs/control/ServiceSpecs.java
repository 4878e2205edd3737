package ai.dstack.server.runs.control;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What a service configuration says about its replicas (API.md §3.3 {@code service}). */
public final class ServiceSpecs {
  private static final Pattern RANGE = Pattern.compile("^\\s*(\\d*)\\s*\\.\\.\\s*(\\d*)\\s*$");

  /**
   * Fields whose change re-deploys an active service replica by replica (upstream's rolling
   * deployment fields); {@code replicas} and {@code scaling} change in place without one.
   */
  static final Set<String> ROLLING_FIELDS =
      Set.of(
          "port",
          "probes",
          "resources",
          "volumes",
          "docker",
          "files",
          "image",
          "user",
          "privileged",
          "entrypoint",
          "working_dir",
          "python",
          "nvcc",
          "single_branch",
          "env",
          "shell",
          "commands");

  private ServiceSpecs() {}

  public static boolean isService(Map<String, Object> spec) {
    return "service".equals(RunSpecs.configuration(spec).get("type"));
  }

  /**
   * Whether a stored run spec (JSON text) is a service's; most runs are not, and their spec is not
   * parsed to find out.
   */
  public static boolean isService(String storedSpec) {
    return storedSpec.contains("\"type\":\"service\"") && isService(RunSpecs.parse(storedSpec));
  }

  /** {@code replicas}: a number, {@code "1..3"} or {@code {min, max}}; 1 when absent. */
  public record Replicas(int min, int max) {}

  static Replicas replicas(Map<String, Object> spec) {
    Object value = RunSpecs.configuration(spec).get("replicas");
    if (value instanceof Number n) {
      return new Replicas(n.intValue(), n.intValue());
    }
    if (value instanceof String text) {
      Matcher m = RANGE.matcher(text);
      if (m.matches()) {
        int min = m.group(1).isEmpty() ? 0 : Integer.parseInt(m.group(1));
        int max = m.group(2).isEmpty() ? min : Integer.parseInt(m.group(2));
        return new Replicas(min, Math.max(min, max));
      }
      if (text.strip().matches("\\d+")) {
        int n = Integer.parseInt(text.strip());
        return new Replicas(n, n);
      }
    }
    if (value instanceof Map<?, ?> range) {
      int min = range.get("min") instanceof Number n ? n.intValue() : 0;
      int max = range.get("max") instanceof Number n ? n.intValue() : min;
      return new Replicas(min, Math.max(min, max));
    }
    return new Replicas(1, 1);
  }

  /** {@code scaling: {metric: rps, target, scale_up_delay=300, scale_down_delay=600}}. */
  public record Scaling(double target, long scaleUpDelaySeconds, long scaleDownDelaySeconds) {}

  static Scaling scaling(Map<String, Object> spec) {
    if (!(RunSpecs.configuration(spec).get("scaling") instanceof Map<?, ?> scaling)
        || !(scaling.get("target") instanceof Number target)) {
      return null;
    }
    return new Scaling(
        target.doubleValue(),
        seconds(scaling.get("scale_up_delay"), 300),
        seconds(scaling.get("scale_down_delay"), 600));
  }

  private static long seconds(Object value, long fallback) {
    if (value == null) {
      return fallback;
    }
    return RunSchemas.seconds(value instanceof Integer i ? (Object) (long) i : value, List.of());
  }

  /** Whether {@code next} changes a field that re-deploys the service's replicas. */
  static boolean redeploys(Map<String, Object> current, Map<String, Object> next) {
    Map<String, Object> a = RunSpecs.configuration(current);
    Map<String, Object> b = RunSpecs.configuration(next);
    for (String field : ROLLING_FIELDS) {
      if (!java.util.Objects.equals(a.get(field), b.get(field))) {
        return true;
      }
    }
    return !java.util.Objects.equals(current.get("repo_data"), next.get("repo_data"))
        || !java.util.Objects.equals(current.get("repo_code_hash"), next.get("repo_code_hash"))
        || !java.util.Objects.equals(current.get("file_archives"), next.get("file_archives"));
  }
}
