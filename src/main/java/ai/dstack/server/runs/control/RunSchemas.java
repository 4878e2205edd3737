package ai.dstack.server.runs.control;

import static ai.dstack.server.config.schema.Schemas.any;
import static ai.dstack.server.config.schema.Schemas.bool;
import static ai.dstack.server.config.schema.Schemas.integer;
import static ai.dstack.server.config.schema.Schemas.listOf;
import static ai.dstack.server.config.schema.Schemas.literal;
import static ai.dstack.server.config.schema.Schemas.string;
import static ai.dstack.server.config.schema.Schemas.validated;

import ai.dstack.server.config.schema.ObjectSchema;
import ai.dstack.server.config.schema.Schema;
import ai.dstack.server.config.schema.SchemaViolation;
import ai.dstack.server.config.schema.UnionSchema;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * upstream's RunSpec as the API reads it (API.md §3.3): the short forms a configuration accepts
 * (ranges, memory sizes, durations, port and mount strings) become the object forms upstream
 * serializes, absent fields take their defaults, so that a plan echoes the spec the way the CLI
 * expects it back. Server defaults that change values belong to {@link RunSpecs}, not here.
 */
public final class RunSchemas {
  private static final Pattern RANGE = Pattern.compile("^\\s*([^.]*?)\\s*\\.\\.\\s*([^.]*?)\\s*$");
  private static final Pattern MEMORY =
      Pattern.compile("^\\s*(\\d+(?:\\.\\d+)?)\\s*([kmgt]i?b?)?\\s*$", Pattern.CASE_INSENSITIVE);
  private static final Pattern DURATION =
      Pattern.compile("^\\s*(\\d+)\\s*([smhdw]?)\\s*$", Pattern.CASE_INSENSITIVE);

  private RunSchemas() {}

  /** An integer range: {@code 2}, {@code "2.."}, {@code "1..4"} or {@code {min, max}}. */
  static final Schema INT_RANGE = range(false);

  /** A memory range in GB: numbers, {@code "8GB"}, {@code "8GB.."}, or {@code {min, max}}. */
  static final Schema MEMORY_RANGE = range(true);

  static final Schema MEMORY_SIZE = (value, path) -> memory(value, path);

  private static Schema range(boolean memory) {
    return (value, path) -> {
      Object min;
      Object max;
      if (value instanceof Map<?, ?> map) {
        for (Object key : map.keySet()) {
          if (!"min".equals(key) && !"max".equals(key)) {
            throw new SchemaViolation(child(path, key), "extra fields not permitted");
          }
        }
        min = bound(map.get("min"), memory, path);
        max = bound(map.get("max"), memory, path);
      } else if (value instanceof String text && RANGE.matcher(text).matches()) {
        Matcher m = RANGE.matcher(text);
        m.matches();
        min = m.group(1).isEmpty() ? null : bound(m.group(1), memory, path);
        max = m.group(2).isEmpty() ? null : bound(m.group(2), memory, path);
      } else {
        min = bound(value, memory, path);
        max = min;
      }
      if (min == null && max == null) {
        throw new SchemaViolation(path, "Invalid range: both min and max are None");
      }
      if (min != null
          && max != null
          && ((Number) min).doubleValue() > ((Number) max).doubleValue()) {
        throw new SchemaViolation(path, "Invalid range order: " + min + ".." + max);
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("min", min);
      out.put("max", max);
      return out;
    };
  }

  private static Object bound(Object value, boolean memory, List<Object> path) {
    if (value == null) {
      return null;
    }
    if (memory) {
      return memory(value, path);
    }
    long number = (Long) integer().normalize(value, path);
    if (number < 0) {
      throw new SchemaViolation(path, "ensure this value is greater than or equal to 0");
    }
    return number;
  }

  /** GB as a float: {@code 8}, {@code 8.5}, {@code "8GB"}, {@code "512MB"}, {@code "1TB"}. */
  static Double memory(Object value, List<Object> path) {
    if (value instanceof Number number && !(value instanceof Boolean)) {
      return number.doubleValue();
    }
    if (value instanceof String text) {
      Matcher m = MEMORY.matcher(text);
      if (m.matches()) {
        double amount = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "gb" : m.group(2).toLowerCase(Locale.ROOT);
        return switch (unit.charAt(0)) {
          case 'k' -> amount / 1024 / 1024;
          case 'm' -> amount / 1024;
          case 't' -> amount * 1024;
          default -> amount;
        };
      }
    }
    throw new SchemaViolation(path, "Invalid memory: " + value);
  }

  /** Seconds from {@code 300}, {@code "5m"}, {@code "2h"}, {@code "1d"}. */
  static long seconds(Object value, List<Object> path) {
    if (value instanceof Long number) {
      return number;
    }
    if (value instanceof String text) {
      Matcher m = DURATION.matcher(text);
      if (m.matches()) {
        long amount = Long.parseLong(m.group(1));
        return switch (m.group(2).toLowerCase(Locale.ROOT)) {
          case "m" -> amount * 60;
          case "h" -> amount * 3600;
          case "d" -> amount * 86400;
          case "w" -> amount * 7 * 86400;
          default -> amount;
        };
      }
    }
    throw new SchemaViolation(path, "Cannot parse the duration " + value);
  }

  /** {@code "off"} or a duration; {@code allowOff} says whether "off" stays as the word. */
  private static Schema duration(String off) {
    return (value, path) -> {
      if (Boolean.FALSE.equals(value) || "off".equals(value)) {
        if (off == null) {
          throw new SchemaViolation(path, "Cannot parse the duration " + value);
        }
        return off.equals("null") ? null : off.equals("-1") ? (Object) (-1L) : off;
      }
      return seconds(value, path);
    };
  }

  private static final Schema CPU =
      (value, path) -> {
        if (value instanceof Map<?, ?> map
            && (map.containsKey("arch") || map.containsKey("count"))) {
          Map<String, Object> out = new LinkedHashMap<>();
          Object arch = map.get("arch");
          out.put("arch", arch == null ? null : literal("x86", "arm").normalize(arch, path));
          out.put(
              "count",
              INT_RANGE.normalize(map.get("count") == null ? "2.." : map.get("count"), path));
          return "arm".equals(out.get("arch")) ? out : out.get("count");
        }
        if (value instanceof String text && text.contains(":")) {
          String[] parts = text.split(":", 2);
          Map<String, Object> out = new LinkedHashMap<>();
          out.put("arch", literal("x86", "arm").normalize(parts[0].strip(), path));
          out.put("count", INT_RANGE.normalize(parts[1], path));
          return "arm".equals(out.get("arch")) ? out : out.get("count");
        }
        return INT_RANGE.normalize(value, path);
      };

  private static final ObjectSchema GPU_OBJECT =
      ObjectSchema.builder()
          .optional("vendor", literal("nvidia", "amd", "google", "intel", "tenstorrent"))
          .optional("name", (value, path) -> value instanceof String s ? List.of(s) : value)
          .defaulted("count", INT_RANGE, range(0L, null), false)
          .optional("memory", MEMORY_RANGE)
          .optional("total_memory", MEMORY_RANGE)
          .optional("compute_capability", any())
          .build();

  /** {@code {…}}, a count, or upstream's {@code "vendor:name,name:count:memory"} short form. */
  private static final Schema GPU =
      (value, path) -> {
        if (value instanceof Map<?, ?>) {
          return GPU_OBJECT.normalize(value, path);
        }
        if (value instanceof Long
            || value instanceof String text && RANGE.matcher(text).matches()) {
          return GPU_OBJECT.normalize(Map.of("count", value), path);
        }
        if (!(value instanceof String text)) {
          throw new SchemaViolation(path, "Invalid GPU spec: " + value);
        }
        Map<String, Object> gpu = new LinkedHashMap<>();
        for (String token : text.split(":")) {
          String part = token.strip();
          String lower = part.toLowerCase(Locale.ROOT);
          if (List.of("nvidia", "amd", "google", "intel", "tenstorrent", "tpu").contains(lower)) {
            gpu.put("vendor", lower.equals("tpu") ? "google" : lower);
          } else if (part.matches("^\\d+(\\.\\.\\d*)?$|^\\.\\.\\d+$")) {
            gpu.put("count", part);
          } else if (lower.matches("^[\\d.]+[kmgt]i?b.*")) {
            gpu.put("memory", part);
          } else if (!part.isEmpty()) {
            gpu.put("name", List.of(part.split(",")));
          }
        }
        return GPU_OBJECT.normalize(gpu, path);
      };

  private static final Schema DISK =
      (value, path) -> {
        Object size = value instanceof Map<?, ?> map ? map.get("size") : value;
        if (value instanceof Map<?, ?> map && map.size() > 1) {
          throw new SchemaViolation(path, "extra fields not permitted");
        }
        return Map.of("size", MEMORY_RANGE.normalize(size, path));
      };

  static final ObjectSchema RESOURCES =
      ObjectSchema.builder()
          .defaulted("cpu", CPU, range(2L, null), false)
          .defaulted("memory", MEMORY_RANGE, range(8.0, null), false)
          .optional("shm_size", MEMORY_SIZE)
          .defaulted("gpu", GPU, GPU_OBJECT.normalize(Map.of(), List.of()), true)
          .defaulted("disk", DISK, Map.of("size", range(100.0, null)), true)
          .build();

  static Map<String, Object> range(Object min, Object max) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("min", min);
    out.put("max", max);
    return out;
  }

  /**
   * {@code 8000}, {@code "8080:8000"}, {@code "*:8000"} or {@code {local_port, container_port}}.
   */
  private static final Schema PORT =
      (value, path) -> {
        Object local;
        Object container;
        if (value instanceof Map<?, ?> map) {
          local = map.get("local_port");
          container = map.get("container_port");
        } else if (value instanceof String text && text.contains(":")) {
          String[] parts = text.split(":", 2);
          local = parts[0].strip().equals("*") ? null : parts[0].strip();
          container = parts[1].strip();
        } else {
          local = value;
          container = value;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("local_port", local == null ? null : port(local, path));
        out.put("container_port", port(container, path));
        return out;
      };

  /** A service's {@code port}: a bare number is the container port behind local port 80. */
  private static final Schema SERVICE_PORT =
      (value, path) -> {
        if (value instanceof Map<?, ?> || value instanceof String text && text.contains(":")) {
          return PORT.normalize(value, path);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("local_port", 80L);
        out.put("container_port", port(value, path));
        return out;
      };

  private static long port(Object value, List<Object> path) {
    long port = (Long) integer().normalize(value, path);
    if (port < 1 || port > 65535) {
      throw new SchemaViolation(path, "ensure this value is less than or equal to 65535");
    }
    return port;
  }

  /** {@code {K: V}} or {@code ["K=V"]}. */
  private static final Schema ENV =
      (value, path) -> {
        Map<String, Object> out = new LinkedHashMap<>();
        if (value instanceof List<?> list) {
          for (Object item : list) {
            String text = (String) string().normalize(item, path);
            int eq = text.indexOf('=');
            if (eq <= 0) {
              throw new SchemaViolation(path, "Env var " + text + " has no value");
            }
            out.put(text.substring(0, eq), text.substring(eq + 1));
          }
          return out;
        }
        if (!(value instanceof Map<?, ?> map)) {
          throw new SchemaViolation(path, "value is not a valid dict");
        }
        map.forEach(
            (k, v) ->
                out.put(
                    String.valueOf(k),
                    v == null ? null : string().normalize(v, child(path, String.valueOf(k)))));
        return out;
      };

  /** {@code "name:/path"} / {@code "/host:/path"} strings become mount objects. */
  private static final Schema VOLUME =
      (value, path) -> {
        if (value instanceof String text && text.contains(":")) {
          int colon = text.lastIndexOf(':');
          String source = text.substring(0, colon);
          Map<String, Object> out = new LinkedHashMap<>();
          if (source.startsWith("/") || source.startsWith("~")) {
            out.put("instance_path", source);
            out.put("path", text.substring(colon + 1));
            out.put("optional", false);
          } else {
            out.put("name", source);
            out.put("path", text.substring(colon + 1));
          }
          return out;
        }
        if (value instanceof Map<?, ?>) {
          return value;
        }
        throw new SchemaViolation(path, "Invalid volume mount: " + value);
      };

  private static final ObjectSchema FILE_MAPPING =
      ObjectSchema.builder().required("local_path", string()).required("path", string()).build();

  private static final Schema FILE =
      (value, path) -> {
        if (value instanceof String text) {
          int colon = text.lastIndexOf(':');
          return FILE_MAPPING.normalize(
              colon <= 0
                  ? Map.of("local_path", text, "path", text)
                  : Map.of(
                      "local_path", text.substring(0, colon), "path", text.substring(colon + 1)),
              path);
        }
        return FILE_MAPPING.normalize(value, path);
      };

  private static final ObjectSchema REPO =
      ObjectSchema.builder()
          .optional("local_path", string())
          .optional("url", string())
          .optional("branch", string())
          .optional("hash", string())
          .defaulted("path", string(), ".", false)
          .defaulted("if_exists", literal("error", "skip"), "error", false)
          .build();

  private static final Schema RETRY =
      (value, path) -> {
        if (value instanceof Boolean) {
          return value;
        }
        return ObjectSchema.builder()
            .optional("on_events", listOf(literal("no-capacity", "interruption", "error")))
            .optional("duration", duration(null))
            .build()
            .normalize(value, path);
      };

  private static final Schema PRIORITY =
      (value, path) -> {
        long priority = (Long) integer().normalize(value, path);
        if (priority < 0 || priority > 100) {
          throw new SchemaViolation(path, "ensure this value is less than or equal to 100");
        }
        return priority;
      };

  /** {@code schedule: {cron: str | [str]}}, kept as a list of valid expressions (UTC). */
  private static final Schema SCHEDULE =
      ObjectSchema.builder()
          .required(
              "cron",
              (value, path) -> {
                List<Object> crons =
                    value instanceof String text
                        ? List.of(text)
                        : (List<Object>) listOf(string()).normalize(value, path);
                if (crons.isEmpty()) {
                  throw new SchemaViolation(path, "At least one cron expression must be specified");
                }
                for (Object cron : crons) {
                  Cron parsed;
                  try {
                    parsed = Cron.parse((String) cron);
                  } catch (IllegalArgumentException e) {
                    throw new SchemaViolation(path, e.getMessage());
                  }
                  if (parsed.next(Instant.now()) == null) {
                    throw new SchemaViolation(path, "Cron expression never fires: " + cron);
                  }
                }
                return crons;
              })
          .build();

  /** ProfileParams (API.md §3.3), in upstream's field order. */
  private static ObjectSchema.Builder profileParams(ObjectSchema.Builder builder) {
    return builder
        .optional("backends", listOf(string()))
        .optional("regions", listOf(string()))
        .optional("availability_zones", listOf(string()))
        .optional("instance_types", listOf(string()))
        .optional("reservation", string())
        .optional("spot_policy", literal("spot", "on-demand", "auto"))
        .optional("retry", RETRY)
        .optional("max_duration", duration("off"))
        .optional("stop_duration", duration("off"))
        .optional("max_price", any())
        .optional("creation_policy", literal("reuse", "reuse-or-create"))
        .optional("idle_duration", duration("-1"))
        .optional("utilization_policy", any())
        .optional("startup_order", literal("any", "master-first", "workers-first"))
        .optional("stop_criteria", literal("all-done", "master-done"))
        .optional("schedule", SCHEDULE)
        .optional("fleets", any())
        .optional("instances", any())
        .optional("tags", any())
        .optional("backend_options", any());
  }

  /** Fields every configuration type has, after its own ones. */
  private static ObjectSchema.Builder common(ObjectSchema.Builder builder, String type) {
    builder
        .defaulted("type", literal(type), type, false)
        .optional("name", string())
        .optional("image", string())
        .optional("user", string())
        .defaulted("privileged", bool(), false, false)
        .optional("entrypoint", string())
        .optional("working_dir", string())
        .defaulted("home_dir", string(), "/root", false)
        .optional("registry_auth", any())
        .optional("python", literal("3.9", "3.10", "3.11", "3.12", "3.13"))
        .optional("nvcc", bool())
        .optional("single_branch", bool())
        .defaulted("env", ENV, Map.of(), false)
        .optional("shell", string())
        .defaulted("resources", RESOURCES, RESOURCES.normalize(Map.of(), List.of()), false)
        .optional("priority", PRIORITY)
        .defaulted("volumes", listOf(VOLUME), List.of(), false)
        .optional("docker", bool())
        .defaulted("repos", listOf(REPO, 1), List.of(), false)
        .defaulted("files", listOf(FILE), List.of(), false)
        .defaulted("dstack", bool(), false, false)
        .defaulted("setup", listOf(string()), List.of(), false);
    return profileParams(builder);
  }

  private static final Schema COMMANDS = listOf(string());

  private static final ObjectSchema TASK =
      common(
              ObjectSchema.builder()
                  .defaulted(
                      "nodes",
                      (value, path) -> {
                        long nodes = (Long) integer().normalize(value, path);
                        if (nodes < 1) {
                          throw new SchemaViolation(
                              path, "ensure this value is greater than or equal to 1");
                        }
                        return nodes;
                      },
                      1L,
                      false)
                  .defaulted("ports", listOf(PORT), List.of(), false)
                  .defaulted("commands", COMMANDS, List.of(), false),
              "task")
          .build();

  private static final ObjectSchema DEV_ENVIRONMENT =
      common(
              ObjectSchema.builder()
                  .defaulted("ports", listOf(PORT), List.of(), false)
                  .optional("ide", literal("vscode", "cursor", "windsurf", "zed"))
                  .optional("version", string())
                  .defaulted("init", COMMANDS, List.of(), false)
                  .optional("inactivity_duration", duration("null")),
              "dev-environment")
          .build();

  private static Schema text(int min, int max) {
    return validated(
        string(),
        v -> {
          int length = ((String) v).length();
          if (length < min || length > max) {
            throw new IllegalArgumentException(
                "ensure this value has " + min + " to " + max + " characters");
          }
          return v;
        });
  }

  private static Schema atLeast(Schema schema, long min, String message) {
    return validated(
        schema,
        v -> {
          if (v != null && ((Number) v).longValue() < min) {
            throw new IllegalArgumentException(message);
          }
          return v;
        });
  }

  /** A service's {@code probes[]} item (upstream's ProbeConfig); defaults are the job spec's. */
  private static final Schema PROBE =
      ObjectSchema.builder()
          .required("type", literal("http"))
          .optional(
              "url",
              validated(
                  string(),
                  v -> {
                    String url = (String) v;
                    if (!url.startsWith("/")) {
                      throw new IllegalArgumentException("Must start with `/`");
                    }
                    if (url.length() > 2048) {
                      throw new IllegalArgumentException("Cannot be longer than 2048 characters");
                    }
                    if (!url.chars().allMatch(c -> c >= 0x20 && c != 0x7f)) {
                      throw new IllegalArgumentException("Cannot contain non-printable characters");
                    }
                    return v;
                  }))
          .optional("method", literal("get", "post", "put", "delete", "patch", "head"))
          .defaulted(
              "headers",
              listOf(
                  ObjectSchema.builder()
                      .required("name", text(1, 256))
                      .required("value", text(1, 2048))
                      .build(),
                  16),
              List.of(),
              false)
          .optional("body", text(1, 2048))
          .optional(
              "timeout", atLeast(duration(null), 1, "Probe timeout cannot be shorter than 1s"))
          .optional(
              "interval", atLeast(duration(null), 1, "Probe interval cannot be shorter than 1s"))
          .optional(
              "ready_after",
              atLeast(integer(), 1, "ensure this value is greater than or equal to 1"))
          .optional("until_ready", bool())
          .check(
              probe -> {
                Object method = probe.get("method");
                if (probe.get("body") != null && ("get".equals(method) || "head".equals(method))) {
                  throw new IllegalArgumentException(
                      "Cannot set request body for the `" + method + "` method");
                }
                return probe;
              })
          .build();

  private static final Schema PROBES =
      validated(
          listOf(PROBE),
          v -> {
            List<?> probes = (List<?>) v;
            if (new java.util.HashSet<>(probes).size() != probes.size()) {
              throw new IllegalArgumentException("Probes must be unique");
            }
            return v;
          });

  private static final ObjectSchema SERVICE =
      common(
              ObjectSchema.builder()
                  .required("port", SERVICE_PORT)
                  .optional("gateway", any())
                  .defaulted("strip_prefix", bool(), true, false)
                  .optional("model", any())
                  .optional("https", any())
                  .defaulted("auth", bool(), true, false)
                  .optional("scaling", any())
                  .defaulted("rate_limits", listOf(any()), List.of(), false)
                  .optional("probes", PROBES)
                  .optional("replicas", any())
                  .optional("router", any())
                  .defaulted("commands", COMMANDS, List.of(), false),
              "service")
          .build();

  static final UnionSchema CONFIGURATION =
      UnionSchema.of("type", List.of(TASK, DEV_ENVIRONMENT, SERVICE));

  static final ObjectSchema PROFILE =
      profileParams(ObjectSchema.builder())
          .defaulted("name", string(), "default", false)
          .defaulted("default", bool(), false, false)
          .build();

  private static final Schema REPO_DATA =
      UnionSchema.of(
          "repo_type",
          List.of(
              ObjectSchema.builder().required("repo_type", literal("virtual")).build(),
              ObjectSchema.builder()
                  .required("repo_type", literal("local"))
                  .optional("repo_dir", string())
                  .build(),
              ObjectSchema.builder()
                  .required("repo_type", literal("remote"))
                  .required("repo_name", string())
                  .optional("repo_branch", string())
                  .optional("repo_hash", string())
                  .optional("repo_config_name", string())
                  .optional("repo_config_email", string())
                  .build()));

  private static final ObjectSchema FILE_ARCHIVE =
      ObjectSchema.builder().required("id", string()).required("path", string()).build();

  public static final ObjectSchema SPEC =
      ObjectSchema.builder()
          .optional("run_name", string())
          .optional("repo_id", string())
          .optional("repo_data", REPO_DATA)
          .optional("repo_code_hash", string())
          .optional("repo_dir", string())
          .defaulted("file_archives", listOf(FILE_ARCHIVE), List.of(), false)
          .optional("working_dir", string())
          .optional("configuration_path", string())
          .required("configuration", CONFIGURATION)
          .defaulted("profile", PROFILE, PROFILE.normalize(Map.of(), List.of()), true)
          .optional("ssh_key_pub", string())
          .build();

  private static List<Object> child(List<Object> path, Object segment) {
    List<Object> out = new ArrayList<>(path);
    out.add(segment);
    return out;
  }

  /** A copy of a normalized tree (maps and lists), safe to change. */
  @SuppressWarnings("unchecked")
  static Object copy(Object tree) {
    if (tree instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      ((Map<String, Object>) map).forEach((k, v) -> out.put(k, copy(v)));
      return out;
    }
    if (tree instanceof List<?> list) {
      List<Object> out = new ArrayList<>();
      list.forEach(v -> out.add(copy(v)));
      return out;
    }
    return tree;
  }
}
