package ai.dstack.server.runs.control;

import ai.dstack.server.events.control.EventTarget;
import ai.dstack.server.events.control.Events;
import ai.dstack.server.runs.entity.JobEntity;
import ai.dstack.server.runs.entity.JobStatus;
import ai.dstack.server.runs.entity.RunEntity;
import ai.dstack.server.runs.entity.RunStatus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.List;

/** The audit events of runs and jobs, with upstream's messages (API.md §3.8). */
@ApplicationScoped
public class RunEvents {
  @Inject private Events events;

  void submitted(EntityManager em, RunEntity run, List<JobEntity> jobs, String actorUserId) {
    events.record(em, "Run submitted. Status: " + run.getStatus().name(), actorUserId, target(run));
    for (JobEntity job : jobs) {
      events.record(
          em, "Job created on run submission. Status: SUBMITTED", actorUserId, target(job));
    }
  }

  void replicaSubmitted(EntityManager em, JobEntity job) {
    events.record(em, "Job created on new submission. Status: SUBMITTED", null, target(job));
  }

  void triggered(EntityManager em, JobEntity job) {
    events.record(em, "Job created on schedule. Status: SUBMITTED", null, target(job));
  }

  void retried(EntityManager em, JobEntity job) {
    events.record(em, "Job created on retry. Status: SUBMITTED", null, target(job));
  }

  /** After the run's status changed from {@code from}; {@code actorUserId} null = the server. */
  void runStatus(EntityManager em, RunEntity run, RunStatus from, String actorUserId) {
    String message = "Run status changed " + from.name() + " -> " + run.getStatus().name();
    if (run.getStatus() == RunStatus.TERMINATING && run.getTerminationReason() != null) {
      message += ". Termination reason: " + run.getTerminationReason();
    }
    events.record(em, message, actorUserId, target(run));
  }

  /** After the job's status changed from {@code from} (always the server's doing). */
  void jobStatus(EntityManager em, JobEntity job, JobStatus from) {
    String message = "Job status changed " + from.name() + " -> " + job.getStatus().name();
    if (job.getStatus() == JobStatus.TERMINATING && job.getTerminationReason() != null) {
      message += ". Termination reason: " + job.getTerminationReason();
      if (job.getTerminationReasonMessage() != null) {
        message += " (" + job.getTerminationReasonMessage() + ")";
      }
    }
    events.record(em, message, null, target(job));
  }

  void deleted(EntityManager em, RunEntity run, String actorUserId) {
    events.record(em, "Run deleted", actorUserId, target(run));
  }

  private static EventTarget target(RunEntity run) {
    return EventTarget.run(run.getId(), run.getRunName(), run.getProjectId());
  }

  private static EventTarget target(JobEntity job) {
    return EventTarget.job(job.getId(), job.getJobName(), job.getProjectId(), job.getRunId());
  }
}
