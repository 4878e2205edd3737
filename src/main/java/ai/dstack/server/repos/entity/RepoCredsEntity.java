package ai.dstack.server.repos.entity;

import ai.dstack.server.crypto.EncryptedString;
import ai.dstack.server.crypto.SecretText;
import ai.dstack.server.crypto.UndecryptableValues;
import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.PostLoad;
import jakarta.persistence.Table;

/** One user's credentials for cloning a remote repo (RemoteRepoCreds JSON), encrypted at rest. */
@Entity
@Table(name = "repo_creds")
public class RepoCredsEntity {
  @Id private String id;

  @Column(name = "repo_id")
  private String repoId;

  @Column(name = "user_id")
  private String userId;

  @Convert(converter = EncryptedString.class)
  private SecretText creds;

  public RepoCredsEntity() {}

  public RepoCredsEntity(String id, String repoId, String userId, SecretText creds) {
    this.id = id;
    this.repoId = repoId;
    this.userId = userId;
    this.creds = creds;
  }

  @PostLoad
  void reportUndecryptableColumns() {
    UndecryptableValues.check("repo_creds.creds", id, creds);
  }

  public String getId() {
    return id;
  }

  public String getRepoId() {
    return repoId;
  }

  public String getUserId() {
    return userId;
  }

  public SecretText getCreds() {
    return creds;
  }

  public void setCreds(SecretText creds) {
    this.creds = creds;
  }
}
