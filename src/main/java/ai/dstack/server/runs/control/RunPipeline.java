package ai.dstack.server.runs.control;

import ai.dstack.server.api.JsonText;
import ai.dstack.server.db.Times;
import ai.dstack.server.fleets.control.FleetSpecs;
import ai.dstack.server.hosts.HostAccess;
import ai.dstack.server.hosts.HostException;
import ai.dstack.server.hosts.HostTarget;
import ai.dstack.server.instances.control.InstancePipeline;
import ai.dstack.server.instances.control.Instances;
import ai.dstack.server.instances.entity.InstanceEntity;
import ai.dstack.server.proxy.control.ServiceStats;
import ai.dstack.server.runs.entity.JobEntity;
import ai.dstack.server.runs.entity.JobStatus;
import ai.dstack.server.runs.entity.RunEntity;
import ai.dstack.server.runs.entity.RunStatus;
import ai.dstack.server.workers.Lease;
import ai.dstack.server.workers.Pipeline;
import ai.dstack.server.workers.PipelineSettings;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Runs follow their jobs (API.md §4.1): the status is derived from each job's latest submission; a
 * failed job or all jobs done end the run; a terminating run (stopped, failed or done) moves its
 * active jobs to terminating and ends once they all have.
 */
@ApplicationScoped
public class RunPipeline implements Pipeline<RunPipeline.Item> {
  @Inject private RunEvents events;
  @Inject private ServiceStats stats;
  @Inject private HostAccess hostAccess;

  /** The run as loaded, and the latest submission of each of its jobs. */
  record Item(
      String runId,
      String runName,
      RunStatus status,
      String terminationReason,
      Instant submittedAt,
      Instant nextTriggeredAt,
      int resubmissionAttempt,
      int deploymentNum,
      String runSpec,
      List<JobEntity> latestJobs,
      List<JobEntity> allJobs,
      Map<String, HostTarget> hosts,
      Map<String, List<Long>> probeStreaks) {}

  /** Upstream's back-off before a retried run is submitted again, by resubmission attempt. */
  private static final List<Duration> RETRY_DELAYS =
      List.of(
          Duration.ofSeconds(15),
          Duration.ofSeconds(30),
          Duration.ofMinutes(1),
          Duration.ofMinutes(2),
          Duration.ofMinutes(5),
          Duration.ofMinutes(10));

  @Override
  public String name() {
    return Runs.RUN_PIPELINE;
  }

  @Override
  public String table() {
    return "runs";
  }

  @Override
  public String eligible() {
    return "status NOT IN ('TERMINATED', 'FAILED', 'DONE')";
  }

  @Override
  public PipelineSettings defaults() {
    return PipelineSettings.of(8, Duration.ofSeconds(2), Duration.ofSeconds(30));
  }

  @Override
  public Item load(EntityManager em, Lease lease) {
    RunEntity run = em.find(RunEntity.class, lease.id());
    if (run == null || run.getStatus().finished()) {
      return null;
    }
    List<JobEntity> jobs =
        em.createQuery(
                "SELECT j FROM JobEntity j WHERE j.runId = :run"
                    + " ORDER BY j.replicaNum, j.jobNum, j.submissionNum",
                JobEntity.class)
            .setParameter("run", run.getId())
            .getResultList();
    Map<String, JobEntity> latest = new LinkedHashMap<>();
    for (JobEntity job : jobs) {
      em.detach(job);
      latest.put(job.getReplicaNum() + "/" + job.getJobNum(), job);
    }
    return new Item(
        run.getId(),
        run.getRunName(),
        run.getStatus(),
        run.getTerminationReason(),
        run.getSubmittedAt(),
        run.getNextTriggeredAt(),
        run.getResubmissionAttempt(),
        run.getDeploymentNum(),
        run.getRunSpec(),
        new ArrayList<>(latest.values()),
        jobs,
        serviceHosts(em, run, latest.values()),
        ServiceSpecs.isService(run.getRunSpec())
            ? Probes.streaks(em, latest.values().stream().map(JobEntity::getId).toList())
            : Map.of());
  }

  /** Where a service's running replicas are reached, to check they answer. */
  private static Map<String, HostTarget> serviceHosts(
      EntityManager em, RunEntity run, java.util.Collection<JobEntity> jobs) {
    if (!ServiceSpecs.isService(run.getRunSpec())) {
      return Map.of();
    }
    Map<String, HostTarget> hosts = new java.util.HashMap<>();
    for (JobEntity job : jobs) {
      if (job.getStatus() == JobStatus.RUNNING && job.getInstanceId() != null) {
        Map<String, Object> connection =
            Instances.connection(em.find(InstanceEntity.class, job.getInstanceId()));
        if (connection != null) {
          hosts.put(job.getId(), InstancePipeline.target(connection));
        }
      }
    }
    return hosts;
  }

  @Override
  public Apply process(Item item, Lease lease) {
    if (item.status() == RunStatus.TERMINATING) {
      return terminating(item);
    }
    if (item.status() == RunStatus.PENDING) {
      return pending(item);
    }
    Map<String, Object> spec = RunSpecs.parse(item.runSpec());
    if (ServiceSpecs.isService(spec)) {
      return service(item, spec);
    }
    List<JobEntity> jobs = item.latestJobs();
    boolean anyFailed = false;
    boolean retryLimitExceeded = false;
    boolean needsRetry = false;
    for (JobEntity job : jobs) {
      if (!failedOrFailing(job)) {
        continue;
      }
      Duration retrying = retryingFor(item, job);
      if (retrying == null) {
        anyFailed = true;
      } else if (retrying.compareTo(retryDuration(job)) > 0) {
        retryLimitExceeded = true;
      } else {
        needsRetry = true;
      }
    }
    if (retryLimitExceeded && !anyFailed) {
      return transition(item, RunStatus.TERMINATING, "RETRY_LIMIT_EXCEEDED");
    }
    if (needsRetry && !anyFailed) {
      return retry(item);
    }
    boolean allDone =
        !jobs.isEmpty()
            && jobs.stream()
                .allMatch(
                    j ->
                        j.getStatus() == JobStatus.DONE
                            || j.getStatus() == JobStatus.TERMINATING
                                && "DONE_BY_RUNNER".equals(j.getTerminationReason()));
    if (anyFailed) {
      return transition(item, RunStatus.TERMINATING, "JOB_FAILED");
    }
    if (allDone) {
      return transition(item, RunStatus.TERMINATING, "ALL_JOBS_DONE");
    }
    RunStatus derived = RunStatus.SUBMITTED;
    if (jobs.stream().anyMatch(j -> j.getStatus() == JobStatus.RUNNING)) {
      derived = RunStatus.RUNNING;
    } else if (jobs.stream()
        .anyMatch(
            j -> j.getStatus() == JobStatus.PROVISIONING || j.getStatus() == JobStatus.PULLING)) {
      derived = RunStatus.PROVISIONING;
    }
    return derived == item.status() ? Apply.NOTHING : transition(item, derived, null);
  }

  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(5);

  /** How far back the request rate that scales a service is averaged. */
  private static final Duration SCALING_WINDOW = Duration.ofMinutes(1);

  /**
   * A service keeps its replicas: one that fails after it ran is replaced, the count follows {@code
   * replicas} (and the request rate with {@code scaling}), and after a re-deploying update the
   * previous deployment's replicas are replaced one at a time, a new one running before an old one
   * stops, so the service never runs out of ready replicas.
   */
  private Apply service(Item item, Map<String, Object> spec) {
    List<JobEntity> active = new ArrayList<>();
    List<JobEntity> failed = new ArrayList<>();
    Instant lastScaled = item.submittedAt();
    int nextReplica = 0;
    for (JobEntity job : item.latestJobs()) {
      nextReplica = Math.max(nextReplica, job.getReplicaNum() + 1);
      lastScaled = max(lastScaled, job.getSubmittedAt());
      if ("SCALED_DOWN".equals(job.getTerminationReason())) {
        lastScaled = max(lastScaled, job.getFinishedAt());
      } else if (failedOrFailing(job) || "DONE_BY_RUNNER".equals(job.getTerminationReason())) {
        // a service is meant to keep running: a replica that exited is ended, and replaced
        failed.add(job);
      } else if (!job.getStatus().finished()) {
        active.add(job);
      }
    }
    boolean serving = active.stream().anyMatch(j -> j.getStatus() == JobStatus.RUNNING);
    List<JobEntity> toReplace = new ArrayList<>();
    boolean waitingToReplace = false;
    for (JobEntity job : failed) {
      if (job.getStatus() == JobStatus.TERMINATING) {
        waitingToReplace = true; // its host is given back first
      } else if (JobRunningPipeline.runnerPort(job) > 0) {
        toReplace.add(job); // it ran: a crashed or killed replica is replaced at once
      } else if (!serving) {
        return transition(item, RunStatus.TERMINATING, "JOB_FAILED");
      } else if (job.getStatus().finished()
          && job.getFinishedAt() != null
          && Times.now().isAfter(job.getFinishedAt().plus(RETRY_DELAYS.get(0)))) {
        toReplace.add(job); // did not start while others serve: tried again after a pause
      } else {
        waitingToReplace = true;
      }
    }
    ServiceSpecs.Replicas replicas = ServiceSpecs.replicas(spec);
    int current = active.size() + toReplace.size() + (waitingToReplace ? 1 : 0);
    int desired = desiredReplicas(item, spec, replicas, current, lastScaled);
    int deployment = item.deploymentNum();
    List<JobEntity> old = active.stream().filter(j -> j.getDeploymentNum() < deployment).toList();
    List<JobEntity> fresh =
        active.stream().filter(j -> j.getDeploymentNum() >= deployment).toList();
    int toAdd = 0;
    List<JobEntity> toScaleDown = new ArrayList<>();
    if (!old.isEmpty()) {
      boolean freshReady = fresh.stream().allMatch(j -> ready(item, j));
      if (freshReady && current <= Math.max(desired, 1)) {
        toAdd = 1; // one surge replica of the new deployment
      } else if (freshReady && !fresh.isEmpty()) {
        toScaleDown.add(old.get(old.size() - 1)); // a new one answers: an old one may go
      }
    } else if (current < desired) {
      toAdd = desired - current;
    } else if (current > desired) {
      List<JobEntity> newestFirst = new ArrayList<>(active);
      newestFirst.sort((a, b) -> Integer.compare(b.getReplicaNum(), a.getReplicaNum()));
      toScaleDown.addAll(newestFirst.subList(0, Math.min(current - desired, newestFirst.size())));
    }
    RunStatus derived =
        active.stream().anyMatch(j -> j.getStatus() == JobStatus.RUNNING)
                || active.isEmpty() && item.status() == RunStatus.RUNNING
            ? RunStatus.RUNNING
            : active.stream()
                    .anyMatch(
                        j ->
                            j.getStatus() == JobStatus.PROVISIONING
                                || j.getStatus() == JobStatus.PULLING)
                ? RunStatus.PROVISIONING
                : RunStatus.SUBMITTED;
    if (toAdd == 0 && toScaleDown.isEmpty() && toReplace.isEmpty()) {
      return derived == item.status() ? Apply.NOTHING : transition(item, derived, null);
    }
    int adding = toAdd;
    int firstNew = nextReplica;
    return Apply.hinting(
        em -> {
          if (!unchanged(em, item)) {
            return;
          }
          RunEntity run = em.find(RunEntity.class, item.runId());
          for (JobEntity replaced : toReplace) {
            submitReplica(em, run, spec, replaced.getReplicaNum(), replaced.getSubmissionNum() + 1);
          }
          for (int i = 0; i < adding; i++) {
            submitReplica(em, run, spec, firstNew + i, 0);
          }
          for (JobEntity extra : toScaleDown) {
            JobEntity job = em.find(JobEntity.class, extra.getId());
            if (job != null
                && !job.getStatus().finished()
                && job.getStatus() != JobStatus.TERMINATING) {
              JobStatus from = job.getStatus();
              job.terminate("SCALED_DOWN", null);
              events.jobStatus(em, job, from);
              Handover.job(em, job);
            }
          }
          if (derived != item.status()) {
            run.setStatus(derived);
            events.runStatus(em, run, item.status(), null);
          }
        },
        Runs.JOBS_SUBMITTED_PIPELINE,
        Runs.JOBS_TERMINATING_PIPELINE,
        Runs.RUN_PIPELINE);
  }

  /**
   * {@code replicas} as a fixed count, or with {@code scaling} the request rate over the target,
   * within min..max, changed only after the scale-up or scale-down delay since the last change.
   */
  private int desiredReplicas(
      Item item,
      Map<String, Object> spec,
      ServiceSpecs.Replicas replicas,
      int current,
      Instant lastScaled) {
    ServiceSpecs.Scaling scaling = ServiceSpecs.scaling(spec);
    if (scaling == null || replicas.min() == replicas.max()) {
      return replicas.min();
    }
    double rps = stats.rps(item.runId(), SCALING_WINDOW);
    int wanted =
        Math.max(replicas.min(), Math.min(replicas.max(), (int) Math.ceil(rps / scaling.target())));
    Duration since = Duration.between(lastScaled, Times.now());
    if (wanted > current && since.getSeconds() < scaling.scaleUpDelaySeconds()
        || wanted < current && since.getSeconds() < scaling.scaleDownDelaySeconds()) {
      return Math.max(replicas.min(), Math.min(replicas.max(), current));
    }
    return wanted;
  }

  private void submitReplica(
      EntityManager em, RunEntity run, Map<String, Object> spec, int replica, int submission) {
    for (Map<String, Object> jobSpec : JobSpecs.forReplica(spec, run.getRunName(), replica)) {
      JobEntity job =
          new JobEntity(
              UUID.randomUUID().toString(),
              run.getProjectId(),
              run.getId(),
              run.getRunName(),
              replica,
              ((Number) jobSpec.get("job_num")).intValue(),
              (String) jobSpec.get("job_name"),
              submission,
              run.getDeploymentNum(),
              JsonText.write(jobSpec),
              Times.now());
      Handover.job(em, job);
      em.persist(job);
      events.replicaSubmitted(em, job);
    }
  }

  /**
   * Whether a replica of the new deployment may replace an old one: its probes say it is ready. A
   * service without probes is ready once running for upstream; here it must also answer HTTP on
   * {@code /} through its host's session, since a process that runs may not listen yet and the old
   * replica would be stopped too early.
   */
  private boolean ready(Item item, JobEntity job) {
    HostTarget host = item.hosts().get(job.getId());
    if (job.getStatus() != JobStatus.RUNNING || host == null) {
      return false;
    }
    if (!Probes.specs(job).isEmpty()) {
      return Probes.ready(job, item.probeStreaks().get(job.getId()));
    }
    Object port = FleetSpecs.parse(job.getJobSpecData()).get("service_port");
    try {
      hostAccess
          .agent()
          .send(host, ((Number) port).intValue(), "GET", "/", null, List.of(), PROBE_TIMEOUT);
      return true;
    } catch (HostException e) {
      return e.httpStatus() > 0 && e.httpStatus() < 500;
    }
  }

  private static Instant max(Instant a, Instant b) {
    return b != null && b.isAfter(a) ? b : a;
  }

  /** A job that failed, or is ending for any reason but done or scaled down. */
  private static boolean failedOrFailing(JobEntity job) {
    return job.getStatus() == JobStatus.FAILED
        || (job.getStatus() == JobStatus.TERMINATING
                || job.getStatus() == JobStatus.TERMINATED
                || job.getStatus() == JobStatus.ABORTED)
            && !"DONE_BY_RUNNER".equals(job.getTerminationReason())
            && !"SCALED_DOWN".equals(job.getTerminationReason());
  }

  /**
   * How long the job has been retried, if its spec retries on what ended it (upstream's rule): a
   * job that never got a host counts from the run's submission, one that ran from its last run.
   * Null when it is not retried.
   */
  @SuppressWarnings("unchecked")
  private static Duration retryingFor(Item item, JobEntity job) {
    Object retry = FleetSpecs.parse(job.getJobSpecData()).get("retry");
    if (!(retry instanceof Map<?, ?> map) || !(map.get("on_events") instanceof List<?> events)) {
      return null;
    }
    String event = retryEvent(job.getTerminationReason());
    if (event == null || !events.contains(event)) {
      return null;
    }
    JobEntity lastProvisioned = null;
    for (JobEntity earlier : item.allJobs()) {
      if (earlier.getJobNum() == job.getJobNum()
          && earlier.getReplicaNum() == job.getReplicaNum()
          && earlier.getJobProvisioningData() != null) {
        lastProvisioned = earlier;
      }
    }
    // a scheduled run retries from its current trigger, not from its first submission
    Instant started = item.nextTriggeredAt() != null ? item.nextTriggeredAt() : item.submittedAt();
    Instant since =
        lastProvisioned == null || lastProvisioned.getLastProcessedAt().isBefore(started)
            ? started
            : lastProvisioned.getLastProcessedAt();
    return Duration.between(since, Times.now());
  }

  /** upstream's {@code to_retry_event}: no capacity, interruption, or any other failure. */
  private static String retryEvent(String reason) {
    if ("FAILED_TO_START_DUE_TO_NO_CAPACITY".equals(reason)) {
      return "no-capacity";
    }
    if ("INTERRUPTED_BY_NO_CAPACITY".equals(reason)) {
      return "interruption";
    }
    return JobStates.finalStatus(reason) == JobStatus.FAILED ? "error" : null;
  }

  private static Duration retryDuration(JobEntity job) {
    Object retry = FleetSpecs.parse(job.getJobSpecData()).get("retry");
    Object duration = retry instanceof Map<?, ?> map ? map.get("duration") : null;
    return Duration.ofSeconds(
        duration instanceof Number n ? n.longValue() : JobSpecs.DEFAULT_RETRY_DURATION);
  }

  /** The run waits ({@code pending}) to be submitted again; its jobs still running stop. */
  private Apply retry(Item item) {
    List<String> toStop = new ArrayList<>();
    for (JobEntity job : item.latestJobs()) {
      if (!job.getStatus().finished() && job.getStatus() != JobStatus.TERMINATING) {
        toStop.add(job.getId());
      }
    }
    return Apply.hinting(
        em -> {
          if (!unchanged(em, item)) {
            return;
          }
          RunEntity run = em.find(RunEntity.class, item.runId());
          run.setStatus(RunStatus.PENDING);
          run.setResubmissionAttempt(item.resubmissionAttempt() + 1);
          run.setFleetId(null);
          events.runStatus(em, run, item.status(), null);
          for (String id : toStop) {
            JobEntity job = em.find(JobEntity.class, id);
            JobStatus from = job.getStatus();
            job.terminate("TERMINATED_BY_SERVER", null);
            events.jobStatus(em, job, from);
            Handover.job(em, job);
          }
        },
        Runs.JOBS_TERMINATING_PIPELINE);
  }

  /**
   * A pending run is submitted again once its jobs have ended and the back-off for its attempt has
   * passed since the last of them ended: a new submission of each job.
   */
  private Apply pending(Item item) {
    if (item.resubmissionAttempt() == 0 && item.nextTriggeredAt() != null) {
      return Times.now().isBefore(item.nextTriggeredAt()) ? Apply.NOTHING : trigger(item);
    }
    Instant lastEnded = item.submittedAt();
    for (JobEntity job : item.latestJobs()) {
      if (!job.getStatus().finished()) {
        return Apply.NOTHING;
      }
      if (job.getFinishedAt() != null && job.getFinishedAt().isAfter(lastEnded)) {
        lastEnded = job.getFinishedAt();
      }
    }
    Duration delay =
        RETRY_DELAYS.get(
            Math.min(Math.max(item.resubmissionAttempt(), 1), RETRY_DELAYS.size()) - 1);
    if (Times.now().isBefore(lastEnded.plus(delay))) {
      return Apply.NOTHING;
    }
    Map<String, Object> spec = RunSpecs.parse(item.runSpec());
    return Apply.hinting(
        em -> {
          if (!unchanged(em, item)) {
            return;
          }
          RunEntity run = em.find(RunEntity.class, item.runId());
          Instant now = Times.now();
          for (JobEntity previous : item.latestJobs()) {
            Map<String, Object> jobSpec =
                JobSpecs.forReplica(spec, item.runName(), previous.getReplicaNum())
                    .get(previous.getJobNum());
            JobEntity job =
                new JobEntity(
                    UUID.randomUUID().toString(),
                    previous.getProjectId(),
                    run.getId(),
                    item.runName(),
                    previous.getReplicaNum(),
                    previous.getJobNum(),
                    previous.getJobName(),
                    previous.getSubmissionNum() + 1,
                    run.getDeploymentNum(),
                    JsonText.write(jobSpec),
                    now);
            Handover.job(em, job);
            em.persist(job);
            events.retried(em, job);
          }
          run.setStatus(RunStatus.SUBMITTED);
          events.runStatus(em, run, RunStatus.PENDING, null);
          Handover.run(run);
        },
        Runs.JOBS_SUBMITTED_PIPELINE,
        Runs.RUN_PIPELINE);
  }

  /**
   * A scheduled run's trigger came: a new submission of each job (of the replicas a service starts
   * with), numbered after the previous execution's.
   */
  private Apply trigger(Item item) {
    Map<String, Object> spec = RunSpecs.parse(item.runSpec());
    int replicas =
        ServiceSpecs.isService(spec) ? Math.max(1, ServiceSpecs.replicas(spec).min()) : 1;
    Map<String, Integer> nextSubmission = new java.util.HashMap<>();
    for (JobEntity job : item.latestJobs()) {
      nextSubmission.put(job.getReplicaNum() + "/" + job.getJobNum(), job.getSubmissionNum() + 1);
    }
    return Apply.hinting(
        em -> {
          if (!unchanged(em, item)) {
            return;
          }
          RunEntity run = em.find(RunEntity.class, item.runId());
          Instant now = Times.now();
          for (int replica = 0; replica < replicas; replica++) {
            for (Map<String, Object> jobSpec : JobSpecs.forReplica(spec, item.runName(), replica)) {
              int jobNum = ((Number) jobSpec.get("job_num")).intValue();
              JobEntity job =
                  new JobEntity(
                      UUID.randomUUID().toString(),
                      run.getProjectId(),
                      run.getId(),
                      item.runName(),
                      replica,
                      jobNum,
                      (String) jobSpec.get("job_name"),
                      nextSubmission.getOrDefault(replica + "/" + jobNum, 0),
                      run.getDeploymentNum(),
                      JsonText.write(jobSpec),
                      now);
              Handover.job(em, job);
              em.persist(job);
              events.triggered(em, job);
            }
          }
          run.setStatus(RunStatus.SUBMITTED);
          events.runStatus(em, run, RunStatus.PENDING, null);
          Handover.run(run);
        },
        Runs.JOBS_SUBMITTED_PIPELINE,
        Runs.RUN_PIPELINE);
  }

  /**
   * A scheduled run that ended by itself (done or failed, not stopped by a user) waits for its next
   * trigger.
   */
  private Apply rescheduled(Item item) {
    Instant next = Schedules.next(RunSpecs.parse(item.runSpec()), Times.now());
    return Apply.hinting(
        em -> {
          if (!unchanged(em, item)) {
            return;
          }
          RunEntity run = em.find(RunEntity.class, item.runId());
          run.setStatus(RunStatus.PENDING);
          run.setTerminationReason(null);
          run.setNextTriggeredAt(next);
          run.setResubmissionAttempt(0);
          run.setFleetId(null);
          events.runStatus(em, run, item.status(), null);
          Handover.run(run);
        },
        Runs.RUN_PIPELINE);
  }

  /** Active jobs are told to stop; the run ends once every job has. */
  private Apply terminating(Item item) {
    String jobReason = JobStates.jobReasonFor(item.terminationReason());
    List<String> toStop = new ArrayList<>();
    boolean allFinished = true;
    for (JobEntity job : item.latestJobs()) {
      if (!job.getStatus().finished()) {
        allFinished = false;
        if (job.getStatus() != JobStatus.TERMINATING) {
          toStop.add(job.getId());
        }
      }
    }
    if (allFinished) {
      if (item.nextTriggeredAt() != null
          && !"STOPPED_BY_USER".equals(item.terminationReason())
          && !"ABORTED_BY_USER".equals(item.terminationReason())) {
        return rescheduled(item);
      }
      return transition(item, finalStatus(item.terminationReason()), item.terminationReason());
    }
    if (toStop.isEmpty()) {
      return Apply.NOTHING;
    }
    return Apply.hinting(
        em -> {
          if (!unchanged(em, item)) {
            return;
          }
          for (String id : toStop) {
            JobEntity job = em.find(JobEntity.class, id);
            if (job != null
                && !job.getStatus().finished()
                && job.getStatus() != JobStatus.TERMINATING) {
              JobStatus from = job.getStatus();
              job.terminate(jobReason, null);
              events.jobStatus(em, job, from);
              Handover.job(em, job);
            }
          }
        },
        Runs.JOBS_TERMINATING_PIPELINE);
  }

  private static RunStatus finalStatus(String reason) {
    if (reason == null) {
      return RunStatus.FAILED;
    }
    return switch (reason) {
      case "ALL_JOBS_DONE" -> RunStatus.DONE;
      case "STOPPED_BY_USER", "ABORTED_BY_USER" -> RunStatus.TERMINATED;
      default -> RunStatus.FAILED;
    };
  }

  private Apply transition(Item item, RunStatus status, String reason) {
    return Apply.hinting(
        em -> {
          if (!unchanged(em, item)) {
            return;
          }
          RunEntity run = em.find(RunEntity.class, item.runId());
          run.setStatus(status);
          run.setTerminationReason(reason);
          events.runStatus(em, run, item.status(), null);
          Handover.run(run);
        },
        Runs.RUN_PIPELINE,
        Runs.JOBS_TERMINATING_PIPELINE);
  }

  /** The API may have stopped the run meanwhile: then this round's conclusion is stale. */
  private static boolean unchanged(EntityManager em, Item item) {
    RunEntity run = em.find(RunEntity.class, item.runId());
    return run != null
        && run.getStatus() == item.status()
        && java.util.Objects.equals(run.getTerminationReason(), item.terminationReason());
  }
}
