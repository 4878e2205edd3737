package ai.dstack.agent.docker;

import ai.dstack.agent.json.Json;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The {@code docker} command lines of Docker mode, and readers of what they print. */
public final class DockerCommands {
  /** The label that marks a container as a task's, with the task id as its value. */
  public static final String TASK_LABEL = "ai.dstack.task";

  /** The key Docker's config gives Docker Hub's credentials. */
  public static final String DOCKER_HUB = "https://index.docker.io/v1/";

  // "10999/tcp -> 127.0.0.1:49153", "22/tcp -> [::]:32768"
  private static final Pattern PORT_LINE = Pattern.compile("(\\d+)/tcp -> (.+):(\\d+)");

  private DockerCommands() {}

  /**
   * The registry an image is pulled from, as Docker keys its credentials: the first path component
   * when it looks like a host (has '.' or ':', or is localhost), else Docker Hub.
   */
  public static String registry(String image) {
    int slash = image.indexOf('/');
    if (slash < 0) {
      return DOCKER_HUB;
    }
    String first = image.substring(0, slash);
    if (first.equals("docker.io") || first.equals("index.docker.io")) {
      return DOCKER_HUB;
    }
    if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
      return first;
    }
    return DOCKER_HUB;
  }

  /**
   * A Docker client {@code config.json} holding only these credentials for the image's registry.
   */
  public static String authConfigJson(String image, String username, String password) {
    String auth =
        Base64.getEncoder()
            .encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put("auth", auth);
    Map<String, Object> auths = new LinkedHashMap<>();
    auths.put(registry(image), entry);
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("auths", auths);
    return Json.write(config);
  }

  /**
   * Writes {@link #authConfigJson} to {@code dir/config.json}, readable by the owner only, for
   * {@link #pull(String, Path)}; the user's own Docker config stays untouched.
   */
  public static void writeAuthConfig(Path dir, String image, String username, String password)
      throws IOException {
    Files.createDirectories(dir);
    Path file = dir.resolve("config.json");
    Files.deleteIfExists(file);
    Files.createFile(
        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(
        file, authConfigJson(image, username, password), StandardOpenOption.TRUNCATE_EXISTING);
  }

  public static List<String> pull(String image) {
    return List.of("docker", "pull", image);
  }

  /** Pulls with the credentials of the client config in {@code configDir}. */
  public static List<String> pull(String image, Path configDir) {
    return List.of("docker", "--config", configDir.toString(), "pull", image);
  }

  /**
   * Runs the container in the foreground with a TTY and no stdin, so that its output can be sent to
   * a file as a terminal would show it.
   */
  public static List<String> run(DockerRunSpec spec) {
    List<String> argv = new ArrayList<>(List.of("docker", "run"));
    argv.addAll(List.of("--name", spec.name()));
    argv.addAll(List.of("--label", TASK_LABEL + "=" + spec.taskId()));
    argv.add("-t");
    argv.addAll(List.of("--network", spec.networkMode()));
    if (spec.gpu() == -1) {
      argv.addAll(List.of("--gpus", "all"));
    } else if (spec.gpu() > 0) {
      // Docker reads the value as CSV: the quotes keep a list of devices one field
      argv.addAll(
          List.of(
              "--gpus",
              spec.gpuIds().isEmpty()
                  ? Integer.toString(spec.gpu())
                  : "\"device=" + String.join(",", spec.gpuIds()) + "\""));
    }
    if (spec.cpu() > 0) {
      argv.addAll(
          List.of("--cpus", BigDecimal.valueOf(spec.cpu()).stripTrailingZeros().toPlainString()));
    }
    if (spec.memoryBytes() > 0) {
      argv.addAll(List.of("--memory", Long.toString(spec.memoryBytes())));
    }
    if (spec.shmSizeBytes() > 0) {
      argv.addAll(List.of("--shm-size", Long.toString(spec.shmSizeBytes())));
    }
    if (spec.privileged()) {
      argv.add("--privileged");
    }
    if (spec.user() != null && !spec.user().isEmpty()) {
      argv.addAll(List.of("-u", spec.user()));
    }
    if (spec.workingDir() != null && !spec.workingDir().isEmpty()) {
      argv.addAll(List.of("-w", spec.workingDir()));
    }
    // names only: docker copies the values from its own environment, so secrets stay out of `ps`
    spec.env().keySet().forEach(key -> argv.addAll(List.of("-e", key)));
    for (DockerRunSpec.Mount mount : spec.mounts()) {
      argv.addAll(List.of("-v", mount.hostPath() + ":" + mount.containerPath()));
    }
    if (spec.networkMode().equals(DockerRunSpec.BRIDGE)) {
      for (int port : spec.publishPorts()) {
        argv.addAll(List.of("-p", "127.0.0.1::" + port));
      }
    }
    List<String> entrypoint = spec.entrypoint();
    if (!entrypoint.isEmpty()) {
      // --entrypoint takes the executable only; its arguments go after the image
      argv.addAll(List.of("--entrypoint", entrypoint.get(0)));
    }
    argv.add(spec.image());
    if (!entrypoint.isEmpty()) {
      argv.addAll(entrypoint.subList(1, entrypoint.size()));
    }
    argv.addAll(spec.command());
    return argv;
  }

  /** Stops with SIGTERM, then SIGKILL after {@code timeoutSeconds}. */
  public static List<String> stop(String name, long timeoutSeconds) {
    return List.of("docker", "stop", "-t", Long.toString(timeoutSeconds), name);
  }

  public static List<String> kill(String name) {
    return List.of("docker", "kill", name);
  }

  /** Removes the container, stopping it first if need be. */
  public static List<String> remove(String name) {
    return List.of("docker", "rm", "-f", name);
  }

  /** Prints the state JSON that {@link ContainerState#parse} reads. */
  public static List<String> inspectState(String name) {
    return List.of("docker", "inspect", "--format", "{{json .State}}", name);
  }

  /** Prints the published ports that {@link #parsePorts} reads. */
  public static List<String> port(String name) {
    return List.of("docker", "port", name);
  }

  /**
   * Container port to host port from {@code docker port} output; the first binding of a port
   * (Docker lists IPv4 before IPv6), TCP only.
   */
  public static Map<Integer, Integer> parsePorts(String output) {
    Map<Integer, Integer> ports = new LinkedHashMap<>();
    for (String line : output.split("\n")) {
      Matcher matcher = PORT_LINE.matcher(line.strip());
      if (matcher.matches()) {
        ports.putIfAbsent(Integer.parseInt(matcher.group(1)), Integer.parseInt(matcher.group(3)));
      }
    }
    return ports;
  }
}
