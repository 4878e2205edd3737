package ai.dstack.agent.docker;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a job's container is run with.
 *
 * @param taskId labels the container so that the agent finds its containers again after a restart
 * @param user the container user ({@code -u}), or null for the image's
 * @param gpu -1 for all GPUs, 0 for none, N for N of them
 * @param gpuIds the N devices to give when {@code gpu} is N (NVIDIA UUIDs or indexes); empty to let
 *     Docker take the first N
 * @param cpu the CPU limit; 0 for none
 * @param memoryBytes the memory limit; 0 for none
 * @param shmSizeBytes the size of {@code /dev/shm}; 0 for Docker's default
 * @param networkMode {@code host} or {@code bridge}
 * @param env the environment, in the order given
 * @param workingDir the working directory, or null for the image's
 * @param publishPorts container ports to publish on a random loopback port of the host; only in
 *     bridge mode (in host mode the container's ports are the host's)
 * @param entrypoint replaces the image's entrypoint when not empty
 * @param command the arguments after the image; empty for the image's command
 */
public record DockerRunSpec(
    String name,
    String taskId,
    String image,
    String user,
    boolean privileged,
    int gpu,
    List<String> gpuIds,
    double cpu,
    long memoryBytes,
    long shmSizeBytes,
    String networkMode,
    Map<String, String> env,
    String workingDir,
    List<Mount> mounts,
    List<Integer> publishPorts,
    List<String> entrypoint,
    List<String> command) {
  public static final String HOST = "host";
  public static final String BRIDGE = "bridge";

  /** A bind mount of a host path into the container. */
  public record Mount(String hostPath, String containerPath) {}

  public DockerRunSpec {
    if (!networkMode.equals(HOST) && !networkMode.equals(BRIDGE)) {
      throw new IllegalArgumentException("network mode must be host or bridge: " + networkMode);
    }
    if (gpu < -1) {
      throw new IllegalArgumentException("gpu must be -1 (all), 0 or a count: " + gpu);
    }
    if (!gpuIds.isEmpty() && gpuIds.size() != gpu) {
      throw new IllegalArgumentException(gpu + " GPUs asked for, " + gpuIds.size() + " given");
    }
    gpuIds = List.copyOf(gpuIds);
    env = Collections.unmodifiableMap(new LinkedHashMap<>(env));
    mounts = List.copyOf(mounts);
    publishPorts = List.copyOf(publishPorts);
    entrypoint = List.copyOf(entrypoint);
    command = List.copyOf(command);
  }
}
