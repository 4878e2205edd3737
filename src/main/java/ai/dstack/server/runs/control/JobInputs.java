package ai.dstack.server.runs.control;

import ai.dstack.server.files.control.FileArchives;
import ai.dstack.server.fleets.control.FleetSpecs;
import ai.dstack.server.instances.control.Instances;
import ai.dstack.server.instances.entity.InstanceEntity;
import ai.dstack.server.repos.control.Repos;
import ai.dstack.server.runs.entity.JobEntity;
import ai.dstack.server.runs.entity.RunEntity;
import jakarta.persistence.EntityManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a job's runner gets when the job starts (SERVER.md §7.4 {@code /api/submit}): the spec with
 * secrets resolved and the host's fleet env merged in, the repo's credentials, the code blob and
 * the file archives.
 */
final class JobInputs {
  private JobInputs() {}

  /**
   * @param failure why the job cannot start (e.g. an unknown secret), or null
   */
  record Inputs(
      Map<String, Object> cluster,
      boolean nodesPending,
      Map<String, Object> run,
      Map<String, Object> jobSpec,
      Map<String, Object> jobSubmission,
      Map<String, Object> repoCredentials,
      Map<String, byte[]> archives,
      byte[] code,
      String failure) {

    Map<String, Object> submitBody(long logQuotaHour) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("run", run);
      body.put("job_spec", jobSpec);
      body.put("job_submission", jobSubmission);
      body.put("cluster_info", cluster);
      body.put("secrets", Map.of());
      body.put("repo_credentials", repoCredentials);
      body.put("log_quota_hour", logQuotaHour);
      body.put("run_spec", run.get("run_spec"));
      return body;
    }
  }

  @SuppressWarnings("unchecked")
  static Inputs load(
      EntityManager em,
      JobEntity job,
      RunEntity run,
      Map<String, String> secrets,
      Repos repos,
      FileArchives fileArchives) {
    Map<String, Object> runSpec = RunSpecs.parse(run.getRunSpec());
    Map<String, Object> jobSpec = FleetSpecs.parse(job.getJobSpecData());
    Map<String, Object> env = new LinkedHashMap<>();
    InstanceEntity instance =
        job.getInstanceId() == null ? null : em.find(InstanceEntity.class, job.getInstanceId());
    Map<String, Object> connection = Instances.connection(instance);
    if (connection != null && connection.get("env") instanceof Map<?, ?> fleetEnv) {
      fleetEnv.forEach((k, v) -> env.put(String.valueOf(k), v));
    }
    String failure = null;
    try {
      for (Map.Entry<String, Object> entry :
          ((Map<String, Object>) jobSpec.getOrDefault("env", Map.of())).entrySet()) {
        Object value = entry.getValue();
        env.put(
            entry.getKey(),
            value == null ? null : SecretInterpolation.apply(value.toString(), secrets));
      }
      if (jobSpec.get("registry_auth") instanceof Map<?, ?> auth) {
        Map<String, Object> resolved = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : auth.entrySet()) {
          Object value = entry.getValue();
          resolved.put(
              String.valueOf(entry.getKey()),
              value instanceof String text ? SecretInterpolation.apply(text, secrets) : value);
        }
        jobSpec.put("registry_auth", resolved);
      }
    } catch (SecretInterpolation.Failure e) {
      failure = "Secrets interpolation error: " + e.getMessage();
    }
    jobSpec.put("env", env);

    Map<String, Object> runView = new LinkedHashMap<>();
    runView.put("id", run.getId());
    runView.put("run_name", run.getRunName());
    runView.put("run_spec", runSpec);
    Map<String, Object> submission = new LinkedHashMap<>();
    submission.put("id", job.getId());
    submission.put("submission_num", (long) job.getSubmissionNum());

    Map<String, Object> creds = null;
    byte[] code = null;
    if (run.getRepoId() != null) {
      creds = repos.creds(em, run.getRepoId(), run.getUserId());
      Object hash = runSpec.get("repo_code_hash");
      if (hash != null) {
        code = repos.codeBlob(em, run.getRepoId(), hash.toString());
        if (code == null && failure == null) {
          failure = "The run's code (" + hash + ") was not uploaded";
        }
      }
    }
    Map<String, byte[]> archives = new LinkedHashMap<>();
    for (Object item : (List<Object>) runSpec.getOrDefault("file_archives", List.of())) {
      String id = String.valueOf(((Map<String, Object>) item).get("id"));
      byte[] blob = fileArchives.blob(em, id, run.getUserId());
      if (blob == null && failure == null) {
        failure = "The file archive " + id + " does not exist";
      }
      archives.put(id, blob);
    }
    List<JobEntity> nodes = Runs.latestJobs(em, run.getId(), job.getReplicaNum());
    List<Object> ips = new ArrayList<>();
    boolean nodesPending = false;
    for (JobEntity node : nodes) {
      if (node.getJobProvisioningData() == null) {
        nodesPending = true;
        continue;
      }
      Map<String, Object> jpd = FleetSpecs.parse(node.getJobProvisioningData());
      Object ip = jpd.get("internal_ip") != null ? jpd.get("internal_ip") : jpd.get("hostname");
      ips.add(String.valueOf(ip));
    }
    Map<String, Object> cluster = new LinkedHashMap<>();
    cluster.put("job_ips", ips);
    cluster.put("master_job_ip", ips.isEmpty() ? "" : ips.get(0));
    cluster.put("gpus_per_job", gpus(job));
    return new Inputs(
        cluster, nodesPending, runView, jobSpec, submission, creds, archives, code, failure);
  }

  /** GPUs the job got: those of its offer's share of the host. */
  private static long gpus(JobEntity job) {
    if (job.getJobRuntimeData() == null
        || !(FleetSpecs.parse(job.getJobRuntimeData()).get("offer") instanceof Map<?, ?> offer)
        || !(offer.get("instance") instanceof Map<?, ?> instance)
        || !(instance.get("resources") instanceof Map<?, ?> resources)
        || !(resources.get("gpus") instanceof List<?> gpus)) {
      return 0;
    }
    return gpus.size();
  }
}
