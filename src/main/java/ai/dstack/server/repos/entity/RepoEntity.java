package ai.dstack.server.repos.entity;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * A repo of a project. {@code name} is the client's {@code repo_id}; {@code info} the RepoInfo JSON
 * as the client last sent it with {@code repos/init}.
 */
@Entity
@Table(name = "repos")
public class RepoEntity {
  @Id private String id;

  @Column(name = "project_id")
  private String projectId;

  private String name;

  @Enumerated(EnumType.STRING)
  private RepoType type;

  private String info;

  @Column(name = "created_at")
  private Instant createdAt;

  public RepoEntity() {}

  public RepoEntity(
      String id, String projectId, String name, RepoType type, String info, Instant createdAt) {
    this.id = id;
    this.projectId = projectId;
    this.name = name;
    this.type = type;
    this.info = info;
    this.createdAt = createdAt;
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

  public RepoType getType() {
    return type;
  }

  public String getInfo() {
    return info;
  }

  public Instant getCreatedAt() {
    return createdAt;
  }

  /** {@code repos/init} of an existing repo: upstream replaces the info and keeps the type. */
  public void setInfo(String info) {
    this.info = info;
  }
}
