package ai.dstack.server.projects.boundary;

import ai.dstack.server.users.boundary.UserViews;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import java.time.Instant;
import java.util.List;

/** The project models the CLI parses (API.md §3.2). */
public final class ProjectViews {
  private ProjectViews() {}

  @JsonbPropertyOrder({"canManageSshFleets", "canManageSecrets"})
  public record MemberPermissions(boolean canManageSshFleets, boolean canManageSecrets) {}

  @JsonbPropertyOrder({"user", "projectRole", "permissions"})
  public record Member(UserViews.User user, String projectRole, MemberPermissions permissions) {}

  /** {@code name} is the backend type; {@code config} its settings without credentials. */
  @JsonbPropertyOrder({"name", "config"})
  public record BackendInfo(String name, Object config) {}

  @JsonbPropertyOrder({
    "projectId",
    "projectName",
    "owner",
    "createdAt",
    "backends",
    "members",
    "isPublic",
    "templatesRepo"
  })
  public record Project(
      String projectId,
      String projectName,
      UserViews.User owner,
      Instant createdAt,
      List<BackendInfo> backends,
      List<Member> members,
      boolean isPublic,
      String templatesRepo) {}

  @JsonbPropertyOrder({"totalCount", "projects"})
  public record ProjectsInfoList(Long totalCount, List<Project> projects) {}
}
