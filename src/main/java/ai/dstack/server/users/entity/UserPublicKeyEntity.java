package ai.dstack.server.users.entity;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** An SSH public key a user uploaded (for sshproxy access). */
@Entity
@Table(name = "user_public_keys")
public class UserPublicKeyEntity {
  @Id private String id;

  @Column(name = "user_id")
  private String userId;

  @Column(name = "added_at")
  private Instant addedAt;

  private String name;
  private String type;
  private String fingerprint;
  private String key;

  public UserPublicKeyEntity() {}

  public UserPublicKeyEntity(
      String id,
      String userId,
      Instant addedAt,
      String name,
      String type,
      String fingerprint,
      String key) {
    this.id = id;
    this.userId = userId;
    this.addedAt = addedAt;
    this.name = name;
    this.type = type;
    this.fingerprint = fingerprint;
    this.key = key;
  }

  public String getId() {
    return id;
  }

  public String getUserId() {
    return userId;
  }

  public Instant getAddedAt() {
    return addedAt;
  }

  public String getName() {
    return name;
  }

  public String getType() {
    return type;
  }

  public String getFingerprint() {
    return fingerprint;
  }

  public String getKey() {
    return key;
  }
}
