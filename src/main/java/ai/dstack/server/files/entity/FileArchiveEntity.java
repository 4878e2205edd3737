package ai.dstack.server.files.entity;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A user's uploaded file archive (a tar for a run's {@code files:}), keyed by its hash. */
@Entity
@Table(name = "file_archives")
public class FileArchiveEntity {
  @Id private String id;

  @Column(name = "user_id")
  private String userId;

  @Column(name = "blob_hash")
  private String blobHash;

  private byte[] blob;

  public FileArchiveEntity() {}

  public FileArchiveEntity(String id, String userId, String blobHash, byte[] blob) {
    this.id = id;
    this.userId = userId;
    this.blobHash = blobHash;
    this.blob = blob;
  }

  public String getId() {
    return id;
  }

  public String getUserId() {
    return userId;
  }

  public String getBlobHash() {
    return blobHash;
  }

  public byte[] getBlob() {
    return blob;
  }
}
