package ai.dstack.server.events.entity;

import ai.dstack.server.users.entity.UserEntity;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * One audit event. The actor is mapped (not just its id) so that an event about a user created in
 * the same transaction is inserted after that user.
 */
@Entity
@Table(name = "events")
public class EventEntity {
  @Id private String id;

  private String message;

  @Column(name = "recorded_at")
  private Instant recordedAt;

  /** Null for events of the system. */
  @ManyToOne
  @JoinColumn(name = "actor_user_id")
  private UserEntity actor;

  /** The same column, for filters that must keep system events (no join). */
  @Column(name = "actor_user_id", insertable = false, updatable = false)
  private String actorUserId;

  protected EventEntity() {}

  public EventEntity(String id, String message, Instant recordedAt, UserEntity actor) {
    this.id = id;
    this.message = message;
    this.recordedAt = recordedAt;
    this.actor = actor;
  }

  public String getId() {
    return id;
  }

  public String getMessage() {
    return message;
  }

  public Instant getRecordedAt() {
    return recordedAt;
  }

  public String getActorUserId() {
    return actor == null ? actorUserId : actor.getId();
  }

  public UserEntity getActor() {
    return actor;
  }
}
