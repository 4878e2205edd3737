package ai.dstack.server.runs.control;

import ai.dstack.server.db.Times;
import ai.dstack.server.fleets.control.FleetSpecs;
import ai.dstack.server.hosts.HostAccess;
import ai.dstack.server.hosts.HostException;
import ai.dstack.server.instances.control.InstancePipeline;
import ai.dstack.server.instances.control.Instances;
import ai.dstack.server.instances.entity.InstanceEntity;
import ai.dstack.server.instances.entity.InstanceStatus;
import ai.dstack.server.logs.control.RunLogs;
import ai.dstack.server.projects.entity.ProjectEntity;
import ai.dstack.server.runs.entity.JobEntity;
import ai.dstack.server.runs.entity.JobStatus;
import ai.dstack.server.workers.Lease;
import ai.dstack.server.workers.Pipeline;
import ai.dstack.server.workers.PipelineSettings;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Ending jobs (SERVER.md §6.4 step 9): a job stopped by the user or the server first gets a
 * graceful stop from its runner (up to its {@code stop_duration}); then its last logs are pulled,
 * its task is terminated and removed on the host, the host's blocks are given back, and the job
 * takes the final status its reason leads to.
 */
@ApplicationScoped
public class JobTerminatingPipeline implements Pipeline<JobTerminatingPipeline.Item> {
  private static final Logger LOG = Logger.getLogger(JobTerminatingPipeline.class.getName());

  /** Reasons after which the job's process may still run and is asked to stop gracefully. */
  private static final Set<String> GRACEFUL =
      Set.of(
          "TERMINATED_BY_USER",
          "TERMINATED_BY_SERVER",
          "SCALED_DOWN",
          "INACTIVITY_DURATION_EXCEEDED",
          "TERMINATED_DUE_TO_UTILIZATION_POLICY");

  /** Seconds the agent waits between TERM and KILL when the task itself is terminated. */
  private static final long KILL_DELAY_SECONDS = 5;

  private static final int FINAL_PULL_PAGES = 64;

  @Inject private HostAccess hosts;
  @Inject private RunLogs logs;
  @Inject private RunEvents events;

  record Item(JobEntity job, String projectName, Map<String, Object> connection) {}

  @Override
  public String name() {
    return Runs.JOBS_TERMINATING_PIPELINE;
  }

  @Override
  public String table() {
    return "jobs";
  }

  @Override
  public String eligible() {
    return "status = 'TERMINATING'";
  }

  @Override
  public PipelineSettings defaults() {
    return PipelineSettings.of(10, Duration.ofSeconds(1), Duration.ofSeconds(30));
  }

  @Override
  public Item load(EntityManager em, Lease lease) {
    JobEntity job = em.find(JobEntity.class, lease.id());
    if (job == null || job.getStatus() != JobStatus.TERMINATING) {
      return null;
    }
    InstanceEntity instance =
        job.getInstanceId() == null ? null : em.find(InstanceEntity.class, job.getInstanceId());
    ProjectEntity project = em.find(ProjectEntity.class, job.getProjectId());
    Map<String, Object> connection = Instances.connection(instance);
    em.detach(job);
    return new Item(job, project.getName(), connection);
  }

  @Override
  public Apply process(Item item, Lease lease) {
    JobEntity job = item.job();
    if (job.getInstanceId() == null || item.connection() == null) {
      return finish(job, null);
    }
    JobAgent agent = new JobAgent(hosts.agent(), InstancePipeline.target(item.connection()));
    int runnerPort = JobRunningPipeline.runnerPort(job);
    Instant now = Times.now();
    if (runnerPort > 0 && GRACEFUL.contains(job.getTerminationReason())) {
      if (job.getRemoveAt() == null) {
        try {
          agent.stop(runnerPort);
          Instant deadline = now.plusSeconds(stopDuration(job));
          LOG.info("Job " + job.getJobName() + " is stopping gracefully (until " + deadline + ")");
          return em -> {
            JobEntity row = em.find(JobEntity.class, job.getId());
            if (row != null && row.getStatus() == JobStatus.TERMINATING) {
              row.setRemoveAt(deadline);
            }
          };
        } catch (HostException e) {
          LOG.info("Job " + job.getJobName() + ": graceful stop failed: " + e.getMessage());
        }
      } else if (now.isBefore(job.getRemoveAt())) {
        try {
          JobRunningPipeline.Pulled pulled =
              JobRunningPipeline.pull(
                  agent, runnerPort, job, item.projectName(), logs, FINAL_PULL_PAGES);
          long cursor = pulled.cursor();
          if (!ended(pulled.lastState())) {
            return em -> {
              JobEntity row = em.find(JobEntity.class, job.getId());
              if (row != null && row.getStatus() == JobStatus.TERMINATING) {
                row.setRunnerTimestamp(cursor);
              }
            };
          }
          job.setRunnerTimestamp(cursor);
        } catch (HostException e) {
          LOG.info("Job " + job.getJobName() + ": its runner stopped answering: " + e.getMessage());
        }
      }
    }
    Long cursor = job.getRunnerTimestamp();
    if (runnerPort > 0) {
      try {
        cursor =
            JobRunningPipeline.pull(
                    agent, runnerPort, job, item.projectName(), logs, FINAL_PULL_PAGES)
                .cursor();
      } catch (HostException e) {
        LOG.info("Job " + job.getJobName() + ": last logs not pulled: " + e.getMessage());
      }
    }
    try {
      agent.terminateAndRemove(
          job.getId(),
          job.getTerminationReason() == null
              ? "terminated_by_server"
              : job.getTerminationReason().toLowerCase(Locale.ROOT),
          job.getTerminationReasonMessage(),
          "ABORTED_BY_USER".equals(job.getTerminationReason()) ? 0 : KILL_DELAY_SECONDS);
    } catch (HostException e) {
      LOG.info(
          "Job "
              + job.getJobName()
              + ": its task could not be removed from the host: "
              + e.getMessage());
    }
    return finish(job, cursor);
  }

  private static boolean ended(Map<String, Object> state) {
    return state != null
        && List.of("done", "failed", "terminated").contains(String.valueOf(state.get("state")));
  }

  private static long stopDuration(JobEntity job) {
    Object duration = FleetSpecs.parse(job.getJobSpecData()).get("stop_duration");
    return duration instanceof Number n ? n.longValue() : 0;
  }

  /** The blocks go back to the host; the job takes its final status. */
  private Apply finish(JobEntity job, Long cursor) {
    JobStatus status = JobStates.finalStatus(job.getTerminationReason());
    return Apply.hinting(
        em -> {
          JobEntity row = em.find(JobEntity.class, job.getId());
          if (row == null || row.getStatus() != JobStatus.TERMINATING) {
            return;
          }
          if (row.getInstanceId() != null && row.getInstanceBlocks() > 0) {
            release(em, row.getInstanceId(), row.getInstanceBlocks());
          }
          row.setInstanceId(null);
          row.setRunnerTimestamp(cursor);
          row.setStatus(status);
          row.setFinishedAt(Times.now());
          events.jobStatus(em, row, JobStatus.TERMINATING);
          Handover.job(em, row);
        },
        Runs.RUN_PIPELINE);
  }

  private static void release(EntityManager em, String instanceId, int blocks) {
    em.createQuery(
            "UPDATE InstanceEntity i SET i.busyBlocks = i.busyBlocks - :blocks WHERE i.id = :id")
        .setParameter("blocks", blocks)
        .setParameter("id", instanceId)
        .executeUpdate();
    em.createQuery(
            "UPDATE InstanceEntity i SET i.status = :idle WHERE i.id = :id AND i.status = :busy"
                + " AND i.busyBlocks <= 0")
        .setParameter("idle", InstanceStatus.IDLE)
        .setParameter("busy", InstanceStatus.BUSY)
        .setParameter("id", instanceId)
        .executeUpdate();
  }
}
