package ai.dstack.server.secrets.entity;

import ai.dstack.server.crypto.EncryptedString;
import ai.dstack.server.crypto.SecretText;
import ai.dstack.server.crypto.UndecryptableValues;
import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.PostLoad;
import jakarta.persistence.Table;
import java.time.Instant;

@Entity
@Table(name = "secrets")
public class SecretEntity {
  @Id private String id;

  @Column(name = "project_id")
  private String projectId;

  private String name;

  @Convert(converter = EncryptedString.class)
  private SecretText value;

  @Column(name = "created_at")
  private Instant createdAt;

  @Column(name = "updated_at")
  private Instant updatedAt;

  public SecretEntity() {}

  public SecretEntity(String id, String projectId, String name, SecretText value, Instant now) {
    this.id = id;
    this.projectId = projectId;
    this.name = name;
    this.value = value;
    this.createdAt = now;
    this.updatedAt = now;
  }

  @PostLoad
  void reportUndecryptableColumns() {
    UndecryptableValues.check("secrets.value", id, value);
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

  public SecretText getValue() {
    return value;
  }

  public void setValue(SecretText value, Instant now) {
    this.value = value;
    this.updatedAt = now;
  }

  public Instant getCreatedAt() {
    return createdAt;
  }
}
