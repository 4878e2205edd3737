package ai.dstack.server.instances.entity;

import ai.dstack.server.crypto.EncryptedString;
import ai.dstack.server.crypto.SecretText;
import ai.dstack.server.crypto.UndecryptableValues;
import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.PostLoad;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * One host of a fleet. {@code remote_connection_info} (how to reach an SSH host, private keys
 * included) is encrypted at rest; {@code instance_type} and {@code job_provisioning_data} are the
 * JSON the API shows once the host is known.
 */
@Entity
@Table(name = "instances")
public class InstanceEntity {
  @Id private String id;

  @Column(name = "project_id")
  private String projectId;

  @Column(name = "fleet_id")
  private String fleetId;

  private String name;

  @Column(name = "instance_num")
  private int instanceNum;

  @Enumerated(EnumType.STRING)
  private InstanceStatus status;

  @Column(name = "status_message")
  private String statusMessage;

  private boolean unreachable;

  @Column(name = "health_status")
  private String healthStatus = "HEALTHY";

  @Column(name = "termination_reason")
  private String terminationReason;

  @Column(name = "termination_reason_message")
  private String terminationReasonMessage;

  private String backend;
  private String region;
  private Double price;
  private String hostname;

  @Column(name = "instance_type")
  private String instanceType;

  @Column(name = "job_provisioning_data")
  private String jobProvisioningData;

  @Convert(converter = EncryptedString.class)
  @Column(name = "remote_connection_info")
  private SecretText remoteConnectionInfo;

  @Column(name = "total_blocks")
  private Integer totalBlocks;

  @Column(name = "busy_blocks")
  private int busyBlocks;

  private int retries;

  @Column(name = "next_attempt_at")
  private Instant nextAttemptAt;

  @Column(name = "created_at")
  private Instant createdAt;

  @Column(name = "finished_at")
  private Instant finishedAt;

  private boolean deleted;

  @Column(name = "deleted_at")
  private Instant deletedAt;

  @Column(name = "last_processed_at")
  private Instant lastProcessedAt;

  protected InstanceEntity() {}

  /** A new SSH host of a fleet, waiting to be deployed. */
  public InstanceEntity(
      String id,
      String projectId,
      String fleetId,
      String name,
      int instanceNum,
      String hostname,
      String remoteConnectionInfo,
      Instant now) {
    this.id = id;
    this.projectId = projectId;
    this.fleetId = fleetId;
    this.name = name;
    this.instanceNum = instanceNum;
    this.hostname = hostname;
    this.remoteConnectionInfo = SecretText.of(remoteConnectionInfo);
    this.status = InstanceStatus.PENDING;
    this.backend = "remote";
    this.region = "remote";
    this.price = 0.0;
    this.createdAt = now;
    this.lastProcessedAt = now;
  }

  @PostLoad
  void reportUndecryptableColumns() {
    UndecryptableValues.check("instances.remote_connection_info", id, remoteConnectionInfo);
  }

  public String getId() {
    return id;
  }

  public String getProjectId() {
    return projectId;
  }

  public String getFleetId() {
    return fleetId;
  }

  public String getName() {
    return name;
  }

  public int getInstanceNum() {
    return instanceNum;
  }

  public InstanceStatus getStatus() {
    return status;
  }

  public void setStatus(InstanceStatus status) {
    this.status = status;
  }

  public String getStatusMessage() {
    return statusMessage;
  }

  public void setStatusMessage(String statusMessage) {
    this.statusMessage = statusMessage;
  }

  public boolean isUnreachable() {
    return unreachable;
  }

  public void setUnreachable(boolean unreachable) {
    this.unreachable = unreachable;
  }

  public String getHealthStatus() {
    return healthStatus;
  }

  public String getTerminationReason() {
    return terminationReason;
  }

  public String getTerminationReasonMessage() {
    return terminationReasonMessage;
  }

  public void terminate(String reason, String message, Instant now) {
    this.status = InstanceStatus.TERMINATED;
    this.terminationReason = reason;
    this.terminationReasonMessage = message;
    this.finishedAt = now;
  }

  public void setTermination(String reason, String message) {
    this.terminationReason = reason;
    this.terminationReasonMessage = message;
  }

  public String getBackend() {
    return backend;
  }

  public String getRegion() {
    return region;
  }

  public Double getPrice() {
    return price;
  }

  public String getHostname() {
    return hostname;
  }

  public String getInstanceType() {
    return instanceType;
  }

  public void setInstanceType(String instanceType) {
    this.instanceType = instanceType;
  }

  public String getJobProvisioningData() {
    return jobProvisioningData;
  }

  public void setJobProvisioningData(String jobProvisioningData) {
    this.jobProvisioningData = jobProvisioningData;
  }

  public SecretText getRemoteConnectionInfo() {
    return remoteConnectionInfo;
  }

  public Integer getTotalBlocks() {
    return totalBlocks;
  }

  public void setTotalBlocks(Integer totalBlocks) {
    this.totalBlocks = totalBlocks;
  }

  public int getBusyBlocks() {
    return busyBlocks;
  }

  public void setBusyBlocks(int busyBlocks) {
    this.busyBlocks = busyBlocks;
  }

  public int getRetries() {
    return retries;
  }

  public void setRetries(int retries) {
    this.retries = retries;
  }

  public Instant getNextAttemptAt() {
    return nextAttemptAt;
  }

  public void setNextAttemptAt(Instant nextAttemptAt) {
    this.nextAttemptAt = nextAttemptAt;
  }

  public Instant getCreatedAt() {
    return createdAt;
  }

  public Instant getFinishedAt() {
    return finishedAt;
  }

  public boolean isDeleted() {
    return deleted;
  }

  public void markDeleted(Instant now) {
    this.deleted = true;
    this.deletedAt = now;
  }

  public void setLastProcessedAt(Instant lastProcessedAt) {
    this.lastProcessedAt = lastProcessedAt;
  }
}
