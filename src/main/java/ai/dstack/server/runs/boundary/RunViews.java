package ai.dstack.server.runs.boundary;

import ai.dstack.server.api.JsonOutput;
import ai.dstack.server.api.JsonText.Raw;
import ai.dstack.server.db.Times;
import ai.dstack.server.runs.control.JobStates;
import ai.dstack.server.runs.control.RunSpecs;
import ai.dstack.server.runs.control.Schedules;
import ai.dstack.server.runs.control.ServiceSpecs;
import ai.dstack.server.runs.entity.JobEntity;
import ai.dstack.server.runs.entity.JobStatus;
import ai.dstack.server.runs.entity.RunEntity;
import ai.dstack.server.runs.entity.RunStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Run model (API.md §3.4) built from rows. Stored JSON columns (run spec, job specs,
 * provisioning and runtime data) are embedded as they are, unparsed.
 */
final class RunViews {
  private RunViews() {}

  /**
   * @param jobs the run's job rows ordered by replica, job and submission
   * @param names user, project and fleet names by id
   * @param submissionsLimit how many latest submissions per job to show (null = all)
   * @param connectionInfo whether running jobs carry {@code job_connection_info} (runs/get)
   * @param probeStreaks the success streaks of the jobs' probes, by job id
   */
  static Map<String, Object> run(
      RunEntity run,
      List<JobEntity> jobs,
      Map<String, String> names,
      boolean includeJobs,
      Integer submissionsLimit,
      boolean connectionInfo,
      Map<String, List<Long>> probeStreaks) {
    List<List<JobEntity>> grouped = groupByJob(jobs);
    List<Object> jobViews = new ArrayList<>();
    Map<String, Object> latest = null;
    if (includeJobs) {
      for (List<JobEntity> submissions : grouped) {
        List<JobEntity> shown = submissions;
        if (submissionsLimit != null) {
          int keep = submissionsLimit == 0 ? 1 : submissionsLimit;
          shown = submissions.subList(Math.max(0, submissions.size() - keep), submissions.size());
        }
        List<Object> submissionViews = new ArrayList<>();
        if (submissionsLimit == null || submissionsLimit > 0) {
          for (JobEntity job : shown) {
            submissionViews.add(submission(job, probeStreaks.get(job.getId())));
          }
        }
        JobEntity last = shown.get(shown.size() - 1);
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("job_spec", new Raw(last.getJobSpecData()));
        view.put("job_submissions", submissionViews);
        view.put(
            "job_connection_info",
            connectionInfo && last.getStatus() == JobStatus.RUNNING ? connection(run, last) : null);
        jobViews.add(view);
      }
      if (!jobViews.isEmpty()) {
        @SuppressWarnings("unchecked")
        List<Object> first =
            (List<Object>) ((Map<String, Object>) jobViews.get(0)).get("job_submissions");
        if (!first.isEmpty()) {
          @SuppressWarnings("unchecked")
          Map<String, Object> last = (Map<String, Object>) first.get(first.size() - 1);
          latest = last;
        }
      }
    }
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("id", run.getId());
    view.put("project_name", names.get(run.getProjectId()));
    view.put("user", names.get(run.getUserId()));
    if (run.getFleetId() != null) {
      Map<String, Object> fleet = new LinkedHashMap<>();
      fleet.put("id", run.getFleetId());
      fleet.put("name", names.get(run.getFleetId()));
      view.put("fleet", fleet);
    } else {
      view.put("fleet", null);
    }
    view.put("submitted_at", JsonOutput.datetime(run.getSubmittedAt()));
    view.put("last_processed_at", JsonOutput.datetime(run.getLastProcessedAt()));
    view.put("status", run.getStatus().wire());
    view.put("status_message", statusMessage(run, grouped));
    view.put("termination_reason", lower(run.getTerminationReason()));
    view.put("run_spec", new Raw(run.getRunSpec()));
    view.put("jobs", jobViews);
    view.put("latest_job_submission", latest);
    view.put("cost", cost(jobs));
    view.put("service", service(run, names.get(run.getProjectId())));
    view.put("deployment_num", (long) run.getDeploymentNum());
    view.put("error", runError(run.getTerminationReason()));
    view.put("deleted", run.isDeleted());
    // as upstream, the next time the schedule fires from now, for a run not finished
    view.put(
        "next_triggered_at",
        run.getNextTriggeredAt() != null && !run.getStatus().finished()
            ? JsonOutput.datetime(Schedules.next(RunSpecs.parse(run.getRunSpec()), Times.now()))
            : null);
    return view;
  }

  /** Without a gateway a service answers at the server's own proxy path (API.md §3.4). */
  private static Map<String, Object> service(RunEntity run, String projectName) {
    if (!ServiceSpecs.isService(run.getRunSpec())) {
      return null;
    }
    Map<String, Object> service = new LinkedHashMap<>();
    service.put("url", "/proxy/services/" + projectName + "/" + run.getRunName() + "/");
    service.put("model", null);
    service.put("options", Map.of());
    return service;
  }

  static Map<String, Object> submission(JobEntity job, List<Long> probeStreaks) {
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("id", job.getId());
    view.put("submission_num", (long) job.getSubmissionNum());
    view.put("deployment_num", (long) job.getDeploymentNum());
    view.put("submitted_at", JsonOutput.datetime(job.getSubmittedAt()));
    view.put("last_processed_at", JsonOutput.datetime(job.getLastProcessedAt()));
    view.put(
        "finished_at", job.getStatus().finished() ? JsonOutput.datetime(finishedAt(job)) : null);
    view.put(
        "inactivity_secs", job.getInactivitySecs() == null ? null : (long) job.getInactivitySecs());
    view.put("status", job.getStatus().wire());
    view.put("status_message", JobStates.statusMessage(job));
    view.put("termination_reason", lower(job.getTerminationReason()));
    view.put("termination_reason_message", job.getTerminationReasonMessage());
    view.put("exit_status", job.getExitStatus() == null ? null : (long) job.getExitStatus());
    view.put("job_provisioning_data", new Raw(job.getJobProvisioningData()));
    view.put("job_runtime_data", new Raw(job.getJobRuntimeData()));
    view.put("error", JobStates.error(job.getTerminationReason()));
    List<Object> probes = new ArrayList<>();
    if (probeStreaks != null) {
      probeStreaks.forEach(streak -> probes.add(Map.of("success_streak", streak)));
    }
    view.put("probes", probes);
    view.put("image_pull_progress", null);
    return view;
  }

  private static Instant finishedAt(JobEntity job) {
    return job.getFinishedAt() != null ? job.getFinishedAt() : job.getLastProcessedAt();
  }

  /** Names and URL schemes of the IDEs a dev environment may name (upstream's). */
  private static final Map<String, String[]> IDES =
      Map.of(
          "vscode", new String[] {"VS Code", "vscode"},
          "cursor", new String[] {"Cursor", "cursor"},
          "windsurf", new String[] {"Windsurf", "windsurf"},
          "zed", new String[] {"Zed", "zed"});

  private static Map<String, Object> connection(RunEntity run, JobEntity job) {
    String host =
        job.getJobNum() == 0 && job.getReplicaNum() == 0 ? run.getRunName() : job.getJobName();
    Map<String, Object> configuration = RunSpecs.configuration(RunSpecs.parse(run.getRunSpec()));
    String[] ide =
        "dev-environment".equals(configuration.get("type"))
            ? IDES.get(String.valueOf(configuration.get("ide")))
            : null;
    Object workingDir =
        job.getJobRuntimeData() == null
            ? null
            : RunSpecs.parse(job.getJobRuntimeData()).get("working_dir");
    String url = null;
    if (ide != null && workingDir != null) {
      url =
          "zed".equals(ide[1])
              ? "zed://ssh/" + host + workingDir
              : ide[1] + "://vscode-remote/ssh-remote+" + host + workingDir;
    }
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("ide_name", ide == null ? null : ide[0]);
    view.put("attached_ide_url", url);
    view.put("proxied_ide_url", null);
    view.put("attached_ssh_command", List.of("ssh", host));
    view.put("proxied_ssh_command", null);
    view.put("sshproxy_hostname", null);
    view.put("sshproxy_port", null);
    view.put("sshproxy_upstream_id", null);
    return view;
  }

  /** upstream's rule: {@code pulling} when every job's latest submission pulls. */
  private static String statusMessage(RunEntity run, List<List<JobEntity>> grouped) {
    if (!grouped.isEmpty()
        && grouped.stream().allMatch(g -> g.get(g.size() - 1).getStatus() == JobStatus.PULLING)) {
      return "pulling";
    }
    if (run.getStatus() == RunStatus.SUBMITTED || run.getStatus() == RunStatus.PENDING) {
      for (List<JobEntity> submissions : grouped) {
        if (JobStates.retryingOnNoCapacity(submissions)) {
          return "retrying";
        }
      }
    }
    return run.getStatus().wire();
  }

  /** Price per hour of each submission's host times how long the submission held it. */
  private static double cost(List<JobEntity> jobs) {
    double cost = 0;
    Instant now = Instant.now();
    for (JobEntity job : jobs) {
      double price = JobStates.price(job);
      if (price > 0) {
        Instant end = job.getStatus().finished() ? finishedAt(job) : now;
        cost +=
            price * Math.max(0, end.toEpochMilli() - job.getSubmittedAt().toEpochMilli()) / 3.6e6;
      }
    }
    return cost;
  }

  private static String runError(String reason) {
    if ("RETRY_LIMIT_EXCEEDED".equals(reason)) {
      return "retry limit exceeded";
    }
    return "SERVER_ERROR".equals(reason) ? "server error" : null;
  }

  static String lower(String reason) {
    return reason == null ? null : reason.toLowerCase(Locale.ROOT);
  }

  private static List<List<JobEntity>> groupByJob(List<JobEntity> jobs) {
    List<List<JobEntity>> groups = new ArrayList<>();
    List<JobEntity> current = null;
    for (JobEntity job : jobs) {
      if (current == null
          || current.get(0).getReplicaNum() != job.getReplicaNum()
          || current.get(0).getJobNum() != job.getJobNum()) {
        current = new ArrayList<>();
        groups.add(current);
      }
      current.add(job);
    }
    return groups;
  }
}
