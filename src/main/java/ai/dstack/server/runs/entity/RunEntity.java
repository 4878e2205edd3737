package ai.dstack.server.runs.entity;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * A run. {@code run_spec} is the effective RunSpec JSON (defaults applied); its status is derived
 * from its jobs by the run pipeline.
 */
@Entity
@Table(name = "runs")
public class RunEntity {
  @Id private String id;

  @Column(name = "project_id")
  private String projectId;

  @Column(name = "user_id")
  private String userId;

  @Column(name = "repo_id")
  private String repoId;

  @Column(name = "fleet_id")
  private String fleetId;

  @Column(name = "run_name")
  private String runName;

  @Column(name = "submitted_at")
  private Instant submittedAt;

  @Column(name = "last_processed_at")
  private Instant lastProcessedAt;

  @Enumerated(EnumType.STRING)
  private RunStatus status;

  /** Upper-case RunTerminationReason name. */
  @Column(name = "termination_reason")
  private String terminationReason;

  @Column(name = "run_spec")
  private String runSpec;

  private int priority;

  @Column(name = "deployment_num")
  private int deploymentNum;

  @Column(name = "resubmission_attempt")
  private int resubmissionAttempt;

  @Column(name = "next_triggered_at")
  private Instant nextTriggeredAt;

  private boolean deleted;

  protected RunEntity() {}

  public RunEntity(
      String id,
      String projectId,
      String userId,
      String repoId,
      String runName,
      String runSpec,
      int priority,
      Instant now) {
    this.id = id;
    this.projectId = projectId;
    this.userId = userId;
    this.repoId = repoId;
    this.runName = runName;
    this.runSpec = runSpec;
    this.priority = priority;
    this.status = RunStatus.SUBMITTED;
    this.submittedAt = now;
    this.lastProcessedAt = now;
  }

  public String getId() {
    return id;
  }

  public String getProjectId() {
    return projectId;
  }

  public String getUserId() {
    return userId;
  }

  public String getRepoId() {
    return repoId;
  }

  public String getFleetId() {
    return fleetId;
  }

  public void setFleetId(String fleetId) {
    this.fleetId = fleetId;
  }

  public String getRunName() {
    return runName;
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

  public RunStatus getStatus() {
    return status;
  }

  public void setStatus(RunStatus status) {
    this.status = status;
  }

  public String getTerminationReason() {
    return terminationReason;
  }

  public void setTerminationReason(String terminationReason) {
    this.terminationReason = terminationReason;
  }

  public String getRunSpec() {
    return runSpec;
  }

  public void setRunSpec(String runSpec) {
    this.runSpec = runSpec;
  }

  public int getPriority() {
    return priority;
  }

  public void setPriority(int priority) {
    this.priority = priority;
  }

  public int getDeploymentNum() {
    return deploymentNum;
  }

  public void setDeploymentNum(int deploymentNum) {
    this.deploymentNum = deploymentNum;
  }

  public int getResubmissionAttempt() {
    return resubmissionAttempt;
  }

  public void setResubmissionAttempt(int resubmissionAttempt) {
    this.resubmissionAttempt = resubmissionAttempt;
  }

  public Instant getNextTriggeredAt() {
    return nextTriggeredAt;
  }

  public void setNextTriggeredAt(Instant nextTriggeredAt) {
    this.nextTriggeredAt = nextTriggeredAt;
  }

  public boolean isDeleted() {
    return deleted;
  }

  public void setDeleted(boolean deleted) {
    this.deleted = deleted;
  }
}
