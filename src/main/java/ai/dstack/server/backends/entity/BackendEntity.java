package ai.dstack.server.backends.entity;

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

/**
 * One configured backend of a project. {@code config} is the JSON of the settings without
 * credentials, {@code auth} the JSON of the credentials; the {@code source_*} pair keeps what the
 * user gave, for the config.yml comparison (SERVER.md §2.3).
 */
@Entity
@Table(name = "backends")
public class BackendEntity {
  @Id private String id;

  @Column(name = "project_id")
  private String projectId;

  @Enumerated(EnumType.STRING)
  private BackendType type;

  private String config;

  @Convert(converter = EncryptedString.class)
  private SecretText auth;

  @Column(name = "source_config")
  private String sourceConfig;

  @Convert(converter = EncryptedString.class)
  @Column(name = "source_auth")
  private SecretText sourceAuth;

  public String getId() {
    return id;
  }

  public void setId(String id) {
    this.id = id;
  }

  public String getProjectId() {
    return projectId;
  }

  public void setProjectId(String projectId) {
    this.projectId = projectId;
  }

  public BackendType getType() {
    return type;
  }

  public void setType(BackendType type) {
    this.type = type;
  }

  public String getConfig() {
    return config;
  }

  public void setConfig(String config) {
    this.config = config;
  }

  public SecretText getAuth() {
    return auth;
  }

  public void setAuth(SecretText auth) {
    this.auth = auth;
  }

  public String getSourceConfig() {
    return sourceConfig;
  }

  public void setSourceConfig(String sourceConfig) {
    this.sourceConfig = sourceConfig;
  }

  public SecretText getSourceAuth() {
    return sourceAuth;
  }

  public void setSourceAuth(SecretText sourceAuth) {
    this.sourceAuth = sourceAuth;
  }

  @PostLoad
  void reportUndecryptableColumns() {
    UndecryptableValues.check("backends.auth", id, auth);
    if (sourceAuth != null) {
      UndecryptableValues.check("backends.source_auth", id, sourceAuth);
    }
  }
}
