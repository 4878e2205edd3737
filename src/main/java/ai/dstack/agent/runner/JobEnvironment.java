package ai.dstack.agent.runner;

import ai.dstack.agent.AgentSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The environment a job sees, merged in upstream's order: host, dstack variables, secrets, job env.
 */
final class JobEnvironment {
  private static final List<String> AGENT_PREFIXES =
      List.of("DSTACK_SHIM_", "DSTACK_RUNNER_", "DSTACK_AGENT_");
  private static final Set<String> NOT_EXPORTED =
      Set.of("HOSTNAME", "USER", "HOME", "SHELL", "SHLVL", "PWD", "_");

  private JobEnvironment() {}

  /** The job's own environment on this host: the agent's host environment under the job's. */
  static Map<String, String> build(
      JobSpec spec, AgentSettings settings, Path jobDir, Path workingDir, Path repoDir) {
    Map<String, String> env = new LinkedHashMap<>();
    System.getenv()
        .forEach(
            (k, v) -> {
              if (AGENT_PREFIXES.stream().noneMatch(k::startsWith)) {
                env.put(k, v);
              }
            });
    env.putAll(jobVariables(spec, jobDir, workingDir, repoDir));
    env.put("HOME", settings.userHome().toString());
    return env;
  }

  /** dstack's variables, the secrets and the configuration's env: all a container gets. */
  static Map<String, String> jobVariables(
      JobSpec spec, Path jobDir, Path workingDir, Path repoDir) {
    Map<String, String> env = new LinkedHashMap<>();
    int nodes = Math.max(1, spec.jobsPerReplica());
    Path hostfile = jobDir.resolve("mpi").resolve("hostfile");
    env.put("DSTACK_RUN_ID", nullToEmpty(spec.runId()));
    env.put("DSTACK_JOB_ID", nullToEmpty(spec.jobSubmissionId()));
    env.put("DSTACK_RUN_NAME", nullToEmpty(spec.runName()));
    env.put("DSTACK_REPO_ID", nullToEmpty(spec.repoId()));
    env.put("DSTACK_REPO_DIR", repoDir.toString());
    env.put("DSTACK_WORKING_DIR", workingDir.toString());
    env.put("DSTACK_NODES_IPS", String.join("\n", spec.jobIps()));
    env.put("DSTACK_MASTER_NODE_IP", nullToEmpty(spec.masterJobIp()));
    env.put("DSTACK_NODE_RANK", Integer.toString(spec.jobNum()));
    env.put("DSTACK_NODES_NUM", Integer.toString(nodes));
    env.put("DSTACK_GPUS_PER_NODE", Integer.toString(spec.gpusPerJob()));
    env.put("DSTACK_GPUS_NUM", Integer.toString(nodes * spec.gpusPerJob()));
    env.put("DSTACK_MPI_HOSTFILE", hostfile.toString());
    env.putAll(spec.secrets());
    env.putAll(spec.env());
    writeHostfile(hostfile, spec);
    return env;
  }

  private static void writeHostfile(Path hostfile, JobSpec spec) {
    StringBuilder lines = new StringBuilder();
    boolean allKnown = spec.jobIps().stream().noneMatch(String::isEmpty);
    if (allKnown) {
      for (String ip : spec.jobIps()) {
        lines.append(ip);
        if (spec.gpusPerJob() > 0) {
          lines.append(" slots=").append(spec.gpusPerJob());
        }
        lines.append('\n');
      }
    }
    try {
      Files.createDirectories(hostfile.getParent());
      Files.writeString(hostfile, lines.toString());
    } catch (IOException e) {
      throw new IllegalStateException("cannot write the MPI hostfile: " + e.getMessage(), e);
    }
  }

  /** The job's variables for SSH sessions (sourced by them); secrets inside, so owner-only. */
  static void writeProfile(Path file, Map<String, String> env, Path workingDir) throws IOException {
    StringBuilder profile = new StringBuilder();
    env.forEach(
        (k, v) -> {
          if (!NOT_EXPORTED.contains(k) && k.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            profile
                .append("export ")
                .append(k)
                .append('=')
                .append(LaunchScript.quote(v))
                .append('\n');
          }
        });
    profile.append("cd ").append(LaunchScript.quote(workingDir.toString())).append('\n');
    Files.deleteIfExists(file);
    Files.createFile(
        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, profile.toString());
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }
}
