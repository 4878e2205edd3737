package ai.dstack.server.runs.entity;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * One submission of one job of a run (a retry is a new row with the next {@code submission_num}).
 * Its id is also the agent task's id and the {@code job_submission_id} of its logs.
 */
@Entity
@Table(name = "jobs")
public class JobEntity {
  @Id private String id;

  @Column(name = "project_id")
  private String projectId;

  @Column(name = "run_id")
  private String runId;

  @Column(name = "fleet_id")
  private String fleetId;

  @Column(name = "instance_id")
  private String instanceId;

  @Column(name = "used_instance_id")
  private String usedInstanceId;

  @Column(name = "run_name")
  private String runName;

  @Column(name = "job_num")
  private int jobNum;

  @Column(name = "job_name")
  private String jobName;

  @Column(name = "replica_num")
  private int replicaNum;

  @Column(name = "submission_num")
  private int submissionNum;

  @Column(name = "deployment_num")
  private int deploymentNum;

  @Column(name = "submitted_at")
  private Instant submittedAt;

  @Column(name = "last_processed_at")
  private Instant lastProcessedAt;

  @Column(name = "finished_at")
  private Instant finishedAt;

  @Enumerated(EnumType.STRING)
  private JobStatus status;

  /** Upper-case JobTerminationReason name. */
  @Column(name = "termination_reason")
  private String terminationReason;

  @Column(name = "termination_reason_message")
  private String terminationReasonMessage;

  @Column(name = "exit_status")
  private Integer exitStatus;

  @Column(name = "job_spec_data")
  private String jobSpecData;

  @Column(name = "job_provisioning_data")
  private String jobProvisioningData;

  @Column(name = "job_runtime_data")
  private String jobRuntimeData;

  /** The runner's {@code last_updated}: where the next log pull starts. */
  @Column(name = "runner_timestamp")
  private Long runnerTimestamp;

  @Column(name = "disconnected_at")
  private Instant disconnectedAt;

  @Column(name = "inactivity_secs")
  private Integer inactivitySecs;

  /** While terminating: when the job is stopped for good (the graceful stop's deadline). */
  @Column(name = "remove_at")
  private Instant removeAt;

  @Column(name = "instance_blocks")
  private int instanceBlocks;

  protected JobEntity() {}

  public JobEntity(
      String id,
      String projectId,
      String runId,
      String runName,
      int replicaNum,
      int jobNum,
      String jobName,
      int submissionNum,
      int deploymentNum,
      String jobSpecData,
      Instant now) {
    this.id = id;
    this.projectId = projectId;
    this.runId = runId;
    this.runName = runName;
    this.replicaNum = replicaNum;
    this.jobNum = jobNum;
    this.jobName = jobName;
    this.submissionNum = submissionNum;
    this.deploymentNum = deploymentNum;
    this.jobSpecData = jobSpecData;
    this.status = JobStatus.SUBMITTED;
    this.submittedAt = now;
    this.lastProcessedAt = now;
  }

  /** Ends the job's active life: it moves to {@code terminating} with a reason. */
  public void terminate(String reason, String message) {
    this.status = JobStatus.TERMINATING;
    this.terminationReason = reason;
    this.terminationReasonMessage = message;
  }

  public String getId() {
    return id;
  }

  public String getProjectId() {
    return projectId;
  }

  public String getRunId() {
    return runId;
  }

  public String getFleetId() {
    return fleetId;
  }

  public void setFleetId(String fleetId) {
    this.fleetId = fleetId;
  }

  public String getInstanceId() {
    return instanceId;
  }

  public void setInstanceId(String instanceId) {
    this.instanceId = instanceId;
  }

  public String getUsedInstanceId() {
    return usedInstanceId;
  }

  public void setUsedInstanceId(String usedInstanceId) {
    this.usedInstanceId = usedInstanceId;
  }

  public String getRunName() {
    return runName;
  }

  public int getJobNum() {
    return jobNum;
  }

  public String getJobName() {
    return jobName;
  }

  public int getReplicaNum() {
    return replicaNum;
  }

  public int getSubmissionNum() {
    return submissionNum;
  }

  public int getDeploymentNum() {
    return deploymentNum;
  }

  public Instant getSubmittedAt() {
    return submittedAt;
  }

  public Instant getLastProcessedAt() {
    return lastProcessedAt;
  }

  public void setLastProcessedAt(Instant lastProcessedAt) {
    this.lastProcessedAt = lastProcessedAt;
  }

  public Instant getFinishedAt() {
    return finishedAt;
  }

  public void setFinishedAt(Instant finishedAt) {
    this.finishedAt = finishedAt;
  }

  public JobStatus getStatus() {
    return status;
  }

  public void setStatus(JobStatus status) {
    this.status = status;
  }

  public String getTerminationReason() {
    return terminationReason;
  }

  public String getTerminationReasonMessage() {
    return terminationReasonMessage;
  }

  public Integer getExitStatus() {
    return exitStatus;
  }

  public void setExitStatus(Integer exitStatus) {
    this.exitStatus = exitStatus;
  }

  public String getJobSpecData() {
    return jobSpecData;
  }

  public String getJobProvisioningData() {
    return jobProvisioningData;
  }

  public void setJobProvisioningData(String jobProvisioningData) {
    this.jobProvisioningData = jobProvisioningData;
  }

  public String getJobRuntimeData() {
    return jobRuntimeData;
  }

  public void setJobRuntimeData(String jobRuntimeData) {
    this.jobRuntimeData = jobRuntimeData;
  }

  public Long getRunnerTimestamp() {
    return runnerTimestamp;
  }

  public void setRunnerTimestamp(Long runnerTimestamp) {
    this.runnerTimestamp = runnerTimestamp;
  }

  public Instant getDisconnectedAt() {
    return disconnectedAt;
  }

  public void setDisconnectedAt(Instant disconnectedAt) {
    this.disconnectedAt = disconnectedAt;
  }

  public Integer getInactivitySecs() {
    return inactivitySecs;
  }

  public void setInactivitySecs(Integer inactivitySecs) {
    this.inactivitySecs = inactivitySecs;
  }

  public Instant getRemoveAt() {
    return removeAt;
  }

  public void setRemoveAt(Instant removeAt) {
    this.removeAt = removeAt;
  }

  public int getInstanceBlocks() {
    return instanceBlocks;
  }

  public void setInstanceBlocks(int instanceBlocks) {
    this.instanceBlocks = instanceBlocks;
  }
}
