package ai.dstack.server.repos.entity;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A code blob of a repo (a git diff or a tar), keyed by the hash the client named it with. */
@Entity
@Table(name = "codes")
public class CodeEntity {
  @Id private String id;

  @Column(name = "repo_id")
  private String repoId;

  @Column(name = "blob_hash")
  private String blobHash;

  private byte[] blob;

  public CodeEntity() {}

  public CodeEntity(String id, String repoId, String blobHash, byte[] blob) {
    this.id = id;
    this.repoId = repoId;
    this.blobHash = blobHash;
    this.blob = blob;
  }

  public String getId() {
    return id;
  }

  public String getRepoId() {
    return repoId;
  }

  public String getBlobHash() {
    return blobHash;
  }

  public byte[] getBlob() {
    return blob;
  }
}
