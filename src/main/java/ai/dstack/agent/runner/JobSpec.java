package ai.dstack.agent.runner;

import ai.dstack.agent.json.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the agent needs from the server's {@code /api/submit} body (SERVER.md §7.4), read leniently
 * as upstream's runner does: absent members take their defaults.
 */
record JobSpec(
    String runId,
    String runName,
    String repoId,
    String jobSubmissionId,
    String configurationType,
    String image,
    String shell,
    List<String> configurationCommands,
    List<String> initCommands,
    List<String> jobCommands,
    Map<String, String> env,
    Map<String, String> secrets,
    String workingDir,
    String repoDir,
    String repoType,
    String repoBranch,
    String repoHash,
    String repoConfigName,
    String repoConfigEmail,
    String repoExistsAction,
    String cloneUrl,
    String repoPrivateKey,
    String repoOauthToken,
    List<FileArchive> fileArchives,
    long maxDurationSeconds,
    long logQuotaHour,
    int jobNum,
    int jobsPerReplica,
    List<String> jobIps,
    String masterJobIp,
    int gpusPerJob,
    String clusterPublicKey) {

  /** Upstream's default repo directory; without a container it stands for the job directory. */
  static final String LEGACY_REPO_DIR = "/workflow";

  record FileArchive(String id, String path) {}

  static JobSpec parse(Map<String, Object> body) {
    Map<String, Object> run = Json.object(body, "run");
    Map<String, Object> runSpec = Json.object(run, "run_spec");
    if (runSpec.isEmpty()) {
      runSpec = Json.object(body, "run_spec");
    }
    Map<String, Object> configuration = Json.object(runSpec, "configuration");
    Map<String, Object> job = Json.object(body, "job_spec");
    Map<String, Object> repoData = Json.object(job, "repo_data");
    if (repoData.isEmpty()) {
      repoData = Json.object(runSpec, "repo_data");
    }
    Map<String, Object> creds = Json.object(body, "repo_credentials");
    Map<String, Object> cluster = Json.object(body, "cluster_info");
    List<FileArchive> archives = new ArrayList<>();
    for (Object item : Json.array(job, "file_archives")) {
      if (!(item instanceof Map<?, ?>)) {
        throw new IllegalArgumentException("job_spec.file_archives: objects are expected");
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> archive = (Map<String, Object>) item;
      archives.add(new FileArchive(Json.string(archive, "id"), Json.string(archive, "path")));
    }
    return new JobSpec(
        Json.string(run, "id"),
        Json.string(runSpec, "run_name"),
        Json.string(runSpec, "repo_id"),
        Json.string(Json.object(body, "job_submission"), "id"),
        Json.string(configuration, "type"),
        Json.string(configuration, "image"),
        Json.string(configuration, "shell"),
        commands(configuration, "commands"),
        commands(configuration, "init"),
        Json.strings(job, "commands"),
        Json.stringMap(job, "env"),
        Json.stringMap(body, "secrets"),
        Json.string(job, "working_dir"),
        Json.string(job, "repo_dir"),
        Json.string(repoData, "repo_type"),
        Json.string(repoData, "repo_branch"),
        Json.string(repoData, "repo_hash"),
        Json.string(repoData, "repo_config_name"),
        Json.string(repoData, "repo_config_email"),
        Json.string(job, "repo_exists_action"),
        Json.string(creds, "clone_url"),
        Json.string(creds, "private_key"),
        Json.string(creds, "oauth_token"),
        archives,
        Json.number(job, "max_duration", 0),
        Json.number(body, "log_quota_hour", 0),
        (int) Json.number(job, "job_num", 0),
        (int) Json.number(job, "jobs_per_replica", 1),
        Json.strings(cluster, "job_ips"),
        Json.string(cluster, "master_job_ip"),
        (int) Json.number(cluster, "gpus_per_job", 0),
        Json.string(Json.object(job, "ssh_key"), "public"));
  }

  /** Configuration commands may be given as one string in old clients' specs. */
  private static List<String> commands(Map<String, Object> configuration, String key) {
    Object value = configuration.get(key);
    if (value instanceof String s) {
      return List.of(s);
    }
    return Json.strings(configuration, key);
  }

  /**
   * The command of a job run as a process: the configuration's own commands joined as upstream
   * joins them (without its container preamble); a dev environment runs its {@code init} and stays
   * up; otherwise the command the server built.
   */
  List<String> processCommand() {
    List<String> commands = new ArrayList<>(configurationCommands);
    if (commands.isEmpty() && "dev-environment".equals(configurationType)) {
      commands.addAll(initCommands);
      commands.add("sleep infinity");
    }
    if (!commands.isEmpty()) {
      return List.of(resolvedShell(), "-c", joinShellCommands(commands));
    }
    if (!jobCommands.isEmpty()) {
      return jobCommands;
    }
    throw new IllegalArgumentException(
        "Could not determine what command to run. Please specify either `commands` or"
            + " `entrypoint` in your run configuration");
  }

  private String resolvedShell() {
    if (shell != null && !shell.isBlank()) {
      return shell.startsWith("/") ? shell : "/bin/" + shell;
    }
    return Files.isExecutable(Path.of("/bin/bash")) ? "/bin/bash" : "/bin/sh";
  }

  static String joinShellCommands(List<String> commands) {
    List<String> parts = new ArrayList<>();
    for (String command : commands) {
      String trimmed = command.strip();
      parts.add(trimmed.endsWith("&") ? "{ " + trimmed + " }" : trimmed);
    }
    return String.join(" && ", parts);
  }
}
