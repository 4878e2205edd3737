package ai.dstack.server.runs.control;

import ai.dstack.server.fleets.control.FleetSpecs;
import ai.dstack.server.runs.entity.JobEntity;
import ai.dstack.server.runs.entity.JobStatus;
import java.util.List;
import java.util.Map;

/** What a job's status and termination reason mean (API.md §3.1, §3.4 JobSubmission). */
public final class JobStates {
  private JobStates() {}

  /** The final status a termination reason leads to; {@code failed} without one. */
  public static JobStatus finalStatus(String reason) {
    if (reason == null) {
      return JobStatus.FAILED;
    }
    return switch (reason) {
      case "DONE_BY_RUNNER" -> JobStatus.DONE;
      case "ABORTED_BY_USER" -> JobStatus.ABORTED;
      case "TERMINATED_BY_USER",
          "SCALED_DOWN",
          "TERMINATED_BY_SERVER",
          "INACTIVITY_DURATION_EXCEEDED",
          "TERMINATED_DUE_TO_UTILIZATION_POLICY",
          "MAX_DURATION_EXCEEDED" ->
          JobStatus.TERMINATED;
      default -> JobStatus.FAILED;
    };
  }

  /** The job reason a run's termination reason maps to when the run stops its jobs. */
  public static String jobReasonFor(String runReason) {
    if (runReason == null) {
      return "TERMINATED_BY_SERVER";
    }
    return switch (runReason) {
      case "ALL_JOBS_DONE" -> "DONE_BY_RUNNER";
      case "STOPPED_BY_USER" -> "TERMINATED_BY_USER";
      case "ABORTED_BY_USER" -> "ABORTED_BY_USER";
      default -> "TERMINATED_BY_SERVER";
    };
  }

  public static String statusMessage(JobEntity job) {
    String reason = job.getTerminationReason();
    switch (job.getStatus()) {
      case DONE:
        return "exited (0)";
      case FAILED:
        if ("CONTAINER_EXITED_WITH_ERROR".equals(reason)) {
          return "exited (" + job.getExitStatus() + ")";
        }
        if ("FAILED_TO_START_DUE_TO_NO_CAPACITY".equals(reason)) {
          String message = job.getTerminationReasonMessage();
          return message != null && message.contains("No matching fleet found")
              ? "no fleets"
              : "no offers";
        }
        return "INTERRUPTED_BY_NO_CAPACITY".equals(reason) ? "interrupted" : "error";
      case TERMINATED:
        if ("TERMINATED_BY_USER".equals(reason)) {
          return "stopped";
        }
        if ("ABORTED_BY_USER".equals(reason)) {
          return "aborted";
        }
        return job.getStatus().wire();
      default:
        return job.getStatus().wire();
    }
  }

  /** Text for reasons {@link #statusMessage} does not already show; null for the others. */
  public static String error(String reason) {
    if (reason == null) {
      return null;
    }
    return switch (reason) {
      case "INSTANCE_UNREACHABLE" -> "instance unreachable";
      case "INSTANCE_ACCESS_REVOKED" -> "instance access revoked";
      case "WAITING_INSTANCE_LIMIT_EXCEEDED" -> "waiting instance limit exceeded";
      case "WAITING_RUNNER_LIMIT_EXCEEDED" -> "waiting runner limit exceeded";
      case "VOLUME_ERROR" -> "volume error";
      case "GATEWAY_ERROR" -> "gateway error";
      case "SCALED_DOWN" -> "scaled down";
      case "INACTIVITY_DURATION_EXCEEDED" -> "inactivity duration exceeded";
      case "TERMINATED_DUE_TO_UTILIZATION_POLICY" -> "utilization policy";
      case "PORTS_BINDING_FAILED" -> "ports binding failed";
      case "CREATING_CONTAINER_ERROR" -> "runner error";
      case "EXECUTOR_ERROR" -> "executor error";
      case "MAX_DURATION_EXCEEDED" -> "max duration exceeded";
      case "LOG_QUOTA_EXCEEDED" -> "log quota exceeded";
      default -> null;
    };
  }

  /** Whether the job's last reason was no capacity and its spec retries on that. */
  public static boolean retryingOnNoCapacity(List<JobEntity> submissions) {
    String lastReason = null;
    for (int i = submissions.size() - 1; i >= 0 && lastReason == null; i--) {
      lastReason = submissions.get(i).getTerminationReason();
    }
    if (!"FAILED_TO_START_DUE_TO_NO_CAPACITY".equals(lastReason)) {
      return false;
    }
    Object retry =
        FleetSpecs.parse(submissions.get(submissions.size() - 1).getJobSpecData()).get("retry");
    return retry instanceof Map<?, ?> map
        && map.get("on_events") instanceof List<?> events
        && events.contains("no-capacity");
  }

  /** The hourly price of the job's host, from its provisioning data; 0 without one. */
  public static double price(JobEntity job) {
    String jpd = job.getJobProvisioningData();
    if (jpd == null) {
      return 0;
    }
    return FleetSpecs.parse(jpd).get("price") instanceof Number price ? price.doubleValue() : 0;
  }
}
