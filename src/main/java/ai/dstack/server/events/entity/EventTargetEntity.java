package ai.dstack.server.events.entity;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;

/**
 * An entity an event is about. {@code entity_project_id}, {@code entity_run_id} and {@code
 * entity_fleet_id} are what the {@code within_*} filters and the visibility rule match on.
 */
@Entity
@Table(name = "event_targets")
public class EventTargetEntity {
  @Id private String id;

  @ManyToOne(optional = false)
  @JoinColumn(name = "event_id")
  private EventEntity event;

  @Column(name = "entity_type")
  private String entityType;

  @Column(name = "entity_id")
  private String entityId;

  @Column(name = "entity_name")
  private String entityName;

  @Column(name = "entity_project_id")
  private String entityProjectId;

  @Column(name = "entity_run_id")
  private String entityRunId;

  @Column(name = "entity_fleet_id")
  private String entityFleetId;

  protected EventTargetEntity() {}

  public EventTargetEntity(
      String id,
      EventEntity event,
      String entityType,
      String entityId,
      String entityName,
      String entityProjectId,
      String entityRunId,
      String entityFleetId) {
    this.id = id;
    this.event = event;
    this.entityType = entityType;
    this.entityId = entityId;
    this.entityName = entityName;
    this.entityProjectId = entityProjectId;
    this.entityRunId = entityRunId;
    this.entityFleetId = entityFleetId;
  }

  public EventEntity getEvent() {
    return event;
  }

  public String getEntityType() {
    return entityType;
  }

  public String getEntityId() {
    return entityId;
  }

  public String getEntityName() {
    return entityName;
  }

  public String getEntityProjectId() {
    return entityProjectId;
  }
}
