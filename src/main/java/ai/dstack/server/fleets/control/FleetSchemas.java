package ai.dstack.server.fleets.control;

import static ai.dstack.server.config.schema.Schemas.any;
import static ai.dstack.server.config.schema.Schemas.bool;
import static ai.dstack.server.config.schema.Schemas.integer;
import static ai.dstack.server.config.schema.Schemas.listOf;
import static ai.dstack.server.config.schema.Schemas.literal;
import static ai.dstack.server.config.schema.Schemas.mapOf;
import static ai.dstack.server.config.schema.Schemas.string;

import ai.dstack.server.config.schema.AnyOfSchema;
import ai.dstack.server.config.schema.ObjectSchema;
import ai.dstack.server.config.schema.Schema;
import ai.dstack.server.config.schema.SchemaViolation;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * upstream's FleetSpec as the API reads it (API.md §3.5): every field in upstream's order, absent
 * ones with their defaults, so that a plan echoes the request the way the CLI expects it back.
 */
public final class FleetSchemas {
  private static final Pattern RANGE = Pattern.compile("^\\s*(\\d*)\\s*\\.\\.\\s*(\\d*)\\s*$");

  private FleetSchemas() {}

  private static final Schema BLOCKS =
      (value, path) -> {
        if ("auto".equals(value)) {
          return value;
        }
        long blocks = (Long) integer().normalize(value, path);
        if (blocks < 1) {
          throw new SchemaViolation(path, "ensure this value is greater than or equal to 1");
        }
        return blocks;
      };

  private static final ObjectSchema SSH_KEY =
      ObjectSchema.builder().required("public", string()).optional("private", string()).build();

  private static final ObjectSchema PROXY =
      ObjectSchema.builder()
          .required("hostname", string())
          .optional("port", integer())
          .required("user", string())
          .required("identity_file", string())
          .optional("ssh_key", SSH_KEY)
          .build();

  private static final ObjectSchema HOST =
      ObjectSchema.builder()
          .required("hostname", string())
          .optional("port", integer())
          .optional("user", string())
          .optional("identity_file", string())
          .optional("proxy_jump", PROXY)
          .optional("internal_ip", string())
          .optional("ssh_key", SSH_KEY)
          .optional("blocks", BLOCKS)
          .build();

  private static final ObjectSchema SSH_CONFIG =
      ObjectSchema.builder()
          .optional("user", string())
          .optional("port", integer())
          .optional("identity_file", string())
          .optional("ssh_key", SSH_KEY)
          .optional("proxy_jump", PROXY)
          .required("hosts", listOf(AnyOfSchema.of(List.of(string(), HOST))))
          .optional("network", string())
          .build();

  /** {@code 2}, {@code "0..3"} or {@code {min, target, max}}; {@code target} defaults to min. */
  private static final Schema NODES =
      (value, path) -> {
        Long min;
        Long max;
        Long target = null;
        if (value instanceof Map<?, ?> map) {
          @SuppressWarnings("unchecked")
          Map<String, Object> nodes =
              (Map<String, Object>)
                  ObjectSchema.builder()
                      .defaulted("min", integer(), 0L, false)
                      .optional("target", integer())
                      .optional("max", integer())
                      .build()
                      .normalize(map, path);
          min = (Long) nodes.get("min");
          target = (Long) nodes.get("target");
          max = (Long) nodes.get("max");
        } else if (value instanceof String text && RANGE.matcher(text).matches()) {
          Matcher m = RANGE.matcher(text);
          m.matches();
          min = m.group(1).isEmpty() ? 0L : Long.parseLong(m.group(1));
          max = m.group(2).isEmpty() ? null : Long.parseLong(m.group(2));
        } else {
          min = (Long) integer().normalize(value, path);
          max = min;
        }
        if (max != null && max < min) {
          throw new SchemaViolation(path, "min must be less than or equal to max");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("min", min);
        if (target != null && !target.equals(min)) {
          out.put("target", target);
        }
        out.put("max", max);
        return out;
      };

  static final List<String> CLOUD_FIELDS =
      List.of(
          "nodes",
          "placement",
          "reservation",
          "resources",
          "backends",
          "regions",
          "availability_zones",
          "instance_types",
          "spot_policy",
          "retry",
          "max_price",
          "idle_duration",
          "tags",
          "backend_options");

  private static final ObjectSchema CONFIGURATION =
      ObjectSchema.builder()
          .defaulted("type", literal("fleet"), "fleet", false)
          .optional("name", string())
          .optional("placement", literal("any", "cluster"))
          .defaulted("blocks", BLOCKS, 1L, false)
          .optional("nodes", NODES)
          .optional("reservation", string())
          .optional("resources", any())
          .optional("backends", any())
          .optional("regions", any())
          .optional("availability_zones", any())
          .optional("instance_types", any())
          .optional("spot_policy", any())
          .optional("retry", any())
          .optional("max_price", any())
          .optional("idle_duration", any())
          .optional("tags", any())
          .optional("backend_options", any())
          .optional("ssh_config", SSH_CONFIG)
          .defaulted("env", mapOf(string()), Map.of(), false)
          .build();

  private static final ObjectSchema PROFILE =
      ObjectSchema.builder()
          .optional("backends", any())
          .optional("regions", any())
          .optional("availability_zones", any())
          .optional("instance_types", any())
          .optional("reservation", any())
          .optional("spot_policy", any())
          .optional("retry", any())
          .optional("max_duration", any())
          .optional("stop_duration", any())
          .optional("max_price", any())
          .optional("creation_policy", any())
          .optional("idle_duration", any())
          .optional("utilization_policy", any())
          .optional("startup_order", any())
          .optional("stop_criteria", any())
          .optional("schedule", any())
          .optional("fleets", any())
          .optional("instances", any())
          .optional("tags", any())
          .optional("backend_options", any())
          .defaulted("name", string(), "default", false)
          .defaulted("default", bool(), false, false)
          .build();

  public static final ObjectSchema SPEC =
      ObjectSchema.builder()
          .required("configuration", CONFIGURATION)
          .optional("configuration_path", string())
          .required("profile", PROFILE)
          .defaulted("autocreated", bool(), false, false)
          .build();
}
