package ai.dstack.server.fleets.entity;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * A fleet. {@code spec} is the FleetSpec JSON as applied, with private keys removed (they live
 * encrypted with each instance's connection info).
 */
@Entity
@Table(name = "fleets")
public class FleetEntity {
  @Id private String id;

  @Column(name = "project_id")
  private String projectId;

  private String name;

  @Enumerated(EnumType.STRING)
  private FleetStatus status;

  @Column(name = "status_message")
  private String statusMessage;

  private String spec;

  @Column(name = "created_at")
  private Instant createdAt;

  @Column(name = "last_processed_at")
  private Instant lastProcessedAt;

  private boolean deleted;

  @Column(name = "deleted_at")
  private Instant deletedAt;

  protected FleetEntity() {}

  public FleetEntity(String id, String projectId, String name, String spec, Instant now) {
    this.id = id;
    this.projectId = projectId;
    this.name = name;
    this.spec = spec;
    this.status = FleetStatus.ACTIVE;
    this.createdAt = now;
    this.lastProcessedAt = now;
  }

  public String getId() {
    return id;
  }

  public String getProjectId() {
    return projectId;
  }

  public String getName() {
    return name;
  }

  public FleetStatus getStatus() {
    return status;
  }

  public void setStatus(FleetStatus status) {
    this.status = status;
  }

  public String getStatusMessage() {
    return statusMessage;
  }

  public void setStatusMessage(String statusMessage) {
    this.statusMessage = statusMessage;
  }

  public String getSpec() {
    return spec;
  }

  public void setSpec(String spec) {
    this.spec = spec;
  }

  public Instant getCreatedAt() {
    return createdAt;
  }

  public void setLastProcessedAt(Instant lastProcessedAt) {
    this.lastProcessedAt = lastProcessedAt;
  }

  public boolean isDeleted() {
    return deleted;
  }

  public void markDeleted(Instant now) {
    this.deleted = true;
    this.deletedAt = now;
  }
}
