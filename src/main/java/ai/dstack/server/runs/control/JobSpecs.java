package ai.dstack.server.runs.control;

import ai.dstack.server.api.ApiException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The job specs of one replica of a run (API.md §3.4 JobSpec), derived from the effective run spec
 * as upstream derives them, so plans and runs show the same values the CLI knows.
 */
public final class JobSpecs {
  static final String DEFAULT_IMAGE = "dstackai/base:0.15-base-ubuntu24.04";
  static final String DOCKER_IMAGE = "dstackai/dind";
  static final String LEGACY_REPO_DIR = "/workflow";
  static final long DEFAULT_STOP_DURATION = 300;
  static final long DEFAULT_RETRY_DURATION = 3600;
  private static final String DEFAULT_PYTHON = "3.11";

  private JobSpecs() {}

  /** One spec per node of the replica; {@code runName} null gives upstream's {@code dry-run}. */
  @SuppressWarnings("unchecked")
  public static List<Map<String, Object>> forReplica(
      Map<String, Object> spec, String runName, int replicaNum) {
    Map<String, Object> configuration = RunSpecs.configuration(spec);
    String type = (String) configuration.get("type");
    int nodes =
        "task".equals(type) ? ((Number) configuration.getOrDefault("nodes", 1L)).intValue() : 1;
    List<Map<String, Object>> jobs = new ArrayList<>();
    for (int jobNum = 0; jobNum < nodes; jobNum++) {
      Map<String, Object> job = new LinkedHashMap<>();
      job.put("replica_num", (long) replicaNum);
      job.put("job_num", (long) jobNum);
      job.put(
          "job_name", (runName == null ? "dry-run" : runName) + "-" + jobNum + "-" + replicaNum);
      job.put("jobs_per_replica", (long) nodes);
      job.put("replica_group", "0");
      job.put("app_specs", appSpecs(configuration));
      job.put("user", user((String) configuration.get("user")));
      job.put("commands", commands(configuration));
      job.put("env", new LinkedHashMap<>((Map<String, Object>) configuration.get("env")));
      job.put("home_dir", configuration.get("home_dir"));
      job.put("image_name", imageName(configuration));
      job.put("privileged", configuration.get("privileged"));
      Object singleBranch = configuration.get("single_branch");
      job.put(
          "single_branch", singleBranch != null ? singleBranch : !"dev-environment".equals(type));
      job.put("max_duration", duration(RunSpecs.merged(spec, "max_duration"), null));
      job.put(
          "stop_duration", duration(RunSpecs.merged(spec, "stop_duration"), DEFAULT_STOP_DURATION));
      job.put("utilization_policy", RunSpecs.merged(spec, "utilization_policy"));
      job.put("registry_auth", configuration.get("registry_auth"));
      job.put("requirements", requirements(spec, nodes));
      job.put("retry", retry(RunSpecs.merged(spec, "retry")));
      job.put("volumes", configuration.get("volumes"));
      job.put("ssh_key", null);
      job.put("working_dir", configuration.get("working_dir"));
      job.put("repo_data", spec.get("repo_data"));
      job.put("repo_code_hash", spec.get("repo_code_hash"));
      List<Map<String, Object>> repos = (List<Map<String, Object>>) configuration.get("repos");
      job.put(
          "repo_dir",
          !repos.isEmpty()
              ? repos.get(0).get("path")
              : spec.get("repo_dir") != null ? spec.get("repo_dir") : LEGACY_REPO_DIR);
      job.put("repo_exists_action", repos.isEmpty() ? null : repos.get(0).get("if_exists"));
      job.put("file_archives", spec.get("file_archives"));
      job.put(
          "service_port",
          "service".equals(type)
              ? ((Map<String, Object>) configuration.get("port")).get("container_port")
              : null);
      job.put("probes", "service".equals(type) ? probes(configuration) : List.of());
      jobs.add(job);
    }
    return jobs;
  }

  static final long DEFAULT_PROBE_TIMEOUT = 10;
  static final long DEFAULT_PROBE_INTERVAL = 15;
  private static final long MODEL_PROBE_TIMEOUT = 30;

  /**
   * A service's probes with upstream's defaults; without {@code probes}, an OpenAI-format {@code
   * model} gets a one-token chat completion probe.
   */
  @SuppressWarnings("unchecked")
  private static List<Object> probes(Map<String, Object> configuration) {
    List<Object> out = new ArrayList<>();
    if (configuration.get("probes") instanceof List<?> given) {
      for (Object item : given) {
        Map<String, Object> probe = (Map<String, Object>) item;
        out.add(
            probeSpec(
                probe.get("url") != null ? probe.get("url") : "/",
                probe.get("method") != null ? probe.get("method") : "get",
                probe.get("headers"),
                probe.get("body"),
                probe.get("timeout") != null ? probe.get("timeout") : DEFAULT_PROBE_TIMEOUT,
                probe.get("interval") != null ? probe.get("interval") : DEFAULT_PROBE_INTERVAL,
                probe.get("ready_after") != null ? probe.get("ready_after") : 1L,
                Boolean.TRUE.equals(probe.get("until_ready"))));
      }
      return out;
    }
    Object model = configuration.get("model");
    String name = null;
    String prefix = "/v1";
    if (model instanceof String text) {
      name = text;
    } else if (model instanceof Map<?, ?> map
        && (map.get("format") == null || "openai".equals(map.get("format")))
        && map.get("name") instanceof String text) {
      name = text;
      if (map.get("prefix") instanceof String given) {
        prefix = given;
      }
    }
    if (name != null) {
      Map<String, Object> message = new LinkedHashMap<>();
      message.put("role", "user");
      message.put("content", "hi");
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("model", name);
      body.put("messages", List.of(message));
      body.put("max_tokens", 1L);
      Map<String, Object> contentType = new LinkedHashMap<>();
      contentType.put("name", "Content-Type");
      contentType.put("value", "application/json");
      out.add(
          probeSpec(
              prefix.replaceAll("/+$", "") + "/chat/completions",
              "post",
              List.of(contentType),
              ai.dstack.server.api.JsonText.write(body),
              MODEL_PROBE_TIMEOUT,
              DEFAULT_PROBE_INTERVAL,
              1L,
              false));
    }
    return out;
  }

  private static Map<String, Object> probeSpec(
      Object url,
      Object method,
      Object headers,
      Object body,
      Object timeout,
      Object interval,
      Object readyAfter,
      boolean untilReady) {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("type", "http");
    spec.put("url", url);
    spec.put("method", method);
    spec.put("headers", headers != null ? headers : List.of());
    spec.put("body", body);
    spec.put("timeout", timeout);
    spec.put("interval", interval);
    spec.put("ready_after", readyAfter);
    spec.put("until_ready", untilReady);
    return spec;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> appSpecs(Map<String, Object> configuration) {
    List<Object> specs = new ArrayList<>();
    Object ports = configuration.get("ports");
    if (ports instanceof List<?> list) {
      int i = 0;
      for (Object item : list) {
        Map<String, Object> port = (Map<String, Object>) item;
        Map<String, Object> app = new LinkedHashMap<>();
        app.put("port", port.get("container_port"));
        app.put("map_to_port", port.get("local_port"));
        app.put("app_name", "app_" + i++);
        app.put("url_path", null);
        app.put("url_query_params", null);
        specs.add(app);
      }
    }
    return specs;
  }

  /** {@code user[:group]}, each a name or a numeric id. */
  private static Map<String, Object> user(String user) {
    if (user == null) {
      return null;
    }
    String[] parts = user.split(":", 2);
    Map<String, Object> out = new LinkedHashMap<>();
    boolean uid = parts[0].matches("\\d+");
    boolean gid = parts.length > 1 && parts[1].matches("\\d+");
    out.put("uid", uid ? Long.parseLong(parts[0]) : null);
    out.put("gid", gid ? Long.parseLong(parts[1]) : null);
    out.put("username", uid ? null : parts[0]);
    out.put("groupname", parts.length > 1 && !gid ? parts[1] : null);
    return out;
  }

  @SuppressWarnings("unchecked")
  private static List<String> commands(Map<String, Object> configuration) {
    String type = (String) configuration.get("type");
    List<String> own =
        new ArrayList<>((List<String>) configuration.getOrDefault("setup", List.of()));
    if ("dev-environment".equals(type)) {
      own.addAll((List<String>) configuration.get("init"));
      own.add("tail -f /dev/null");
    } else {
      own.addAll((List<String>) configuration.get("commands"));
    }
    String entrypoint = (String) configuration.get("entrypoint");
    if (entrypoint != null) {
      List<String> result;
      try {
        result = new ArrayList<>(Shlex.split(entrypoint));
      } catch (IllegalArgumentException e) {
        throw ApiException.error("Invalid entrypoint: " + e.getMessage());
      }
      result.addAll((List<String>) configuration.get("commands"));
      return result;
    }
    if (own.isEmpty()) {
      return List.of();
    }
    List<String> all = new ArrayList<>();
    boolean customImage = configuration.get("image") != null;
    if (Boolean.TRUE.equals(configuration.get("docker"))) {
      all.add("start-dockerd");
    } else if (!customImage) {
      String python =
          configuration.get("python") != null
              ? (String) configuration.get("python")
              : DEFAULT_PYTHON;
      all.add("eval $(echo 'export DSTACK_VENV_DIR=/dstack/venv' | sudo tee -a /dstack/profile)");
      all.add("sudo rm -rf $DSTACK_VENV_DIR");
      all.add("sudo mkdir $DSTACK_VENV_DIR");
      all.add("sudo chown $(id -u):$(id -g) $DSTACK_VENV_DIR");
      all.add("uv venv -q --prompt dstack -p " + python + " --seed $DSTACK_VENV_DIR");
      all.add("eval $(echo '. $DSTACK_VENV_DIR/bin/activate' | sudo tee -a /dstack/profile)");
    }
    all.addAll(own);
    List<String> parts = new ArrayList<>();
    for (String command : all) {
      String trimmed = command.strip();
      parts.add(trimmed.endsWith("&") ? "{ " + trimmed + " }" : trimmed);
    }
    return List.of(shell(configuration), "-i", "-c", String.join(" && ", parts));
  }

  private static String shell(Map<String, Object> configuration) {
    String shell = (String) configuration.get("shell");
    if (shell != null) {
      return shell.startsWith("/") ? shell : "/bin/" + shell;
    }
    return configuration.get("image") == null ? "/bin/bash" : "/bin/sh";
  }

  private static String imageName(Map<String, Object> configuration) {
    if (Boolean.TRUE.equals(configuration.get("docker"))) {
      return DOCKER_IMAGE;
    }
    Object image = configuration.get("image");
    return image != null ? (String) image : DEFAULT_IMAGE;
  }

  private static Object duration(Object value, Long fallback) {
    if (value == null) {
      return fallback;
    }
    return "off".equals(value) ? null : value;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> requirements(Map<String, Object> spec, int nodes) {
    Object spotPolicy = RunSpecs.merged(spec, "spot_policy");
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("resources", RunSpecs.configuration(spec).get("resources"));
    out.put("max_price", RunSpecs.merged(spec, "max_price"));
    out.put(
        "spot",
        "auto".equals(spotPolicy)
            ? null
            : "spot".equals(spotPolicy) ? Boolean.TRUE : Boolean.FALSE);
    out.put("reservation", RunSpecs.merged(spec, "reservation"));
    out.put("multinode", nodes > 1);
    out.put("backend_options", RunSpecs.merged(spec, "backend_options"));
    return out;
  }

  /** {@code retry: true} means every event for upstream's default duration. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> retry(Object retry) {
    if (retry == null || Boolean.FALSE.equals(retry)) {
      return null;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    if (Boolean.TRUE.equals(retry)) {
      out.put("on_events", List.of("no-capacity", "interruption", "error"));
      out.put("duration", DEFAULT_RETRY_DURATION);
      return out;
    }
    Map<String, Object> given = (Map<String, Object>) retry;
    Object events = given.get("on_events");
    out.put("on_events", events != null ? events : List.of("no-capacity", "interruption", "error"));
    Object duration = given.get("duration");
    out.put("duration", duration != null ? duration : DEFAULT_RETRY_DURATION);
    return out;
  }
}
