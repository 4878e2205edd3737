package ai.dstack.server.runs.control;

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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs follow their jobs (API.md §4.1): the status is derived from each job's latest submission; a
 * failed job or all jobs done end the run; a terminating run (stopped, failed or done) moves its
 * active jobs to terminating and ends once they all have.
 */
@ApplicationScoped
public class RunPipeline implements Pipeline<RunPipeline.Item> {
  @Inject private RunEvents events;

  /** The run as loaded, and the latest submission of each of its jobs. */
  record Item(
      String runId,
      String runName,
      RunStatus status,
      String terminationReason,
      List<JobEntity> latestJobs) {}

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
        new ArrayList<>(latest.values()));
  }

  @Override
  public Apply process(Item item, Lease lease) {
    if (item.status() == RunStatus.TERMINATING) {
      return terminating(item);
    }
    List<JobEntity> jobs = item.latestJobs();
    boolean anyFailed =
        jobs.stream()
            .anyMatch(
                j ->
                    j.getStatus().finished() && j.getStatus() != JobStatus.DONE
                        || j.getStatus() == JobStatus.TERMINATING
                            && !"DONE_BY_RUNNER".equals(j.getTerminationReason()));
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
