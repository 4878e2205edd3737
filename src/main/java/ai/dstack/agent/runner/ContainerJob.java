package ai.dstack.agent.runner;

import ai.dstack.agent.docker.DockerCommands;
import ai.dstack.agent.docker.DockerRunSpec;
import ai.dstack.agent.host.Gpus;
import ai.dstack.agent.json.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A job run in a Docker container: the run named an image and a daemon answers. The job directory
 * (code and files already in place) is the container's {@code /workflow}, as upstream's default
 * repo directory, and the command is the one the server built for containers.
 */
record ContainerJob(
    String name, List<String> pull, List<String> run, Map<String, String> clientEnvironment) {

  static ContainerJob prepare(
      JobSpec spec, Map<String, Object> taskConfig, String taskId, Path jobDir, Path hostWorkDir)
      throws IOException {
    String name = "dstack-" + taskId;
    String workingDir = spec.workingDir() != null ? spec.workingDir() : JobSpec.LEGACY_REPO_DIR;
    String repoDir =
        spec.repoDir() == null
            ? workingDir
            : spec.repoDir().startsWith("/") ? spec.repoDir() : workingDir + "/" + spec.repoDir();
    Map<String, String> variables =
        JobEnvironment.jobVariables(spec, jobDir, Path.of(workingDir), Path.of(repoDir));
    Path mpi = jobDir.resolve("mpi");
    int gpu = (int) Json.number(taskConfig, "gpu", -1);
    if (Gpus.vendor(Path.of("/")).equals(Gpus.NONE)) {
      gpu = 0; // `--gpus all` fails on a host without GPUs
    }
    String network = Json.string(taskConfig, "network_mode");
    DockerRunSpec runSpec =
        new DockerRunSpec(
            name,
            taskId,
            spec.image(),
            null,
            Json.bool(taskConfig, "privileged", false),
            gpu,
            List.of(),
            Json.decimal(taskConfig, "cpu", 0),
            Json.number(taskConfig, "memory", 0),
            Json.number(taskConfig, "shm_size", 0),
            network == null || network.isEmpty() ? DockerRunSpec.HOST : network,
            variables,
            workingDir,
            List.of(
                new DockerRunSpec.Mount(hostWorkDir.toString(), JobSpec.LEGACY_REPO_DIR),
                new DockerRunSpec.Mount(mpi.toString(), mpi.toString())),
            List.of(),
            List.of(),
            spec.jobCommands());
    String username = Json.string(taskConfig, "registry_username");
    List<String> pull;
    if (username != null && !username.isEmpty()) {
      Path config = jobDir.resolve("docker-config");
      DockerCommands.writeAuthConfig(
          config, spec.image(), username, Json.string(taskConfig, "registry_password"));
      pull = DockerCommands.pull(spec.image(), config);
    } else {
      pull = DockerCommands.pull(spec.image());
    }
    // the docker client passes the values of `-e NAME` from its own environment
    Map<String, String> client = new LinkedHashMap<>(System.getenv());
    client.putAll(variables);
    return new ContainerJob(name, pull, new ArrayList<>(DockerCommands.run(runSpec)), client);
  }
}
