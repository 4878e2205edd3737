package ai.dstack.server.users.entity;

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

@Entity
@Table(name = "users")
public class UserEntity {
  @Id private String id;
  private String name;

  @Column(name = "original_name")
  private String originalName;

  @Column(name = "created_at")
  private Instant createdAt;

  @Convert(converter = EncryptedString.class)
  private SecretText token;

  @Column(name = "token_hash")
  private String tokenHash;

  @Enumerated(EnumType.STRING)
  @Column(name = "global_role")
  private GlobalRole globalRole;

  private String email;
  private boolean active;
  private boolean deleted;

  @Column(name = "projects_quota")
  private int projectsQuota;

  @Column(name = "ssh_private_key")
  private String sshPrivateKey;

  @Column(name = "ssh_public_key")
  private String sshPublicKey;

  public String getId() {
    return id;
  }

  public void setId(String id) {
    this.id = id;
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public String getOriginalName() {
    return originalName;
  }

  public void setOriginalName(String originalName) {
    this.originalName = originalName;
  }

  public Instant getCreatedAt() {
    return createdAt;
  }

  public void setCreatedAt(Instant createdAt) {
    this.createdAt = createdAt;
  }

  public SecretText getToken() {
    return token;
  }

  public void setToken(SecretText token) {
    this.token = token;
  }

  public String getTokenHash() {
    return tokenHash;
  }

  public void setTokenHash(String tokenHash) {
    this.tokenHash = tokenHash;
  }

  public GlobalRole getGlobalRole() {
    return globalRole;
  }

  public void setGlobalRole(GlobalRole globalRole) {
    this.globalRole = globalRole;
  }

  public boolean isGlobalAdmin() {
    return globalRole == GlobalRole.ADMIN;
  }

  public String getEmail() {
    return email;
  }

  public void setEmail(String email) {
    this.email = email;
  }

  public boolean isActive() {
    return active;
  }

  public void setActive(boolean active) {
    this.active = active;
  }

  public boolean isDeleted() {
    return deleted;
  }

  public void setDeleted(boolean deleted) {
    this.deleted = deleted;
  }

  public int getProjectsQuota() {
    return projectsQuota;
  }

  public void setProjectsQuota(int projectsQuota) {
    this.projectsQuota = projectsQuota;
  }

  public String getSshPrivateKey() {
    return sshPrivateKey;
  }

  public void setSshPrivateKey(String sshPrivateKey) {
    this.sshPrivateKey = sshPrivateKey;
  }

  public String getSshPublicKey() {
    return sshPublicKey;
  }

  public void setSshPublicKey(String sshPublicKey) {
    this.sshPublicKey = sshPublicKey;
  }

  @PostLoad
  void reportUndecryptableColumns() {
    UndecryptableValues.check("users.token", id, token);
  }
}
