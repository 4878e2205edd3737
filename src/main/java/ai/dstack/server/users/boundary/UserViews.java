package ai.dstack.server.users.boundary;

import ai.dstack.server.users.entity.UserEntity;
import ai.dstack.server.users.entity.UserPublicKeyEntity;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import java.time.Instant;
import java.util.List;

/** The user models the CLI parses (API.md §3.2). */
public final class UserViews {
  private UserViews() {}

  public record UserPermissions(boolean canCreateProjects) {}

  @JsonbPropertyOrder({
    "id",
    "username",
    "createdAt",
    "globalRole",
    "email",
    "active",
    "permissions",
    "sshPublicKey"
  })
  public record User(
      String id,
      String username,
      Instant createdAt,
      String globalRole,
      String email,
      boolean active,
      UserPermissions permissions,
      String sshPublicKey) {}

  public record UserTokenCreds(String token) {}

  @JsonbPropertyOrder({
    "id",
    "username",
    "createdAt",
    "globalRole",
    "email",
    "active",
    "permissions",
    "sshPublicKey",
    "creds",
    "sshPrivateKey"
  })
  public record UserWithCreds(
      String id,
      String username,
      Instant createdAt,
      String globalRole,
      String email,
      boolean active,
      UserPermissions permissions,
      String sshPublicKey,
      UserTokenCreds creds,
      String sshPrivateKey) {}

  @JsonbPropertyOrder({"totalCount", "users"})
  public record UsersInfoList(Long totalCount, List<User> users) {}

  @JsonbPropertyOrder({"id", "addedAt", "name", "type", "fingerprint"})
  public record PublicKeyInfo(
      String id, Instant addedAt, String name, String type, String fingerprint) {}

  public static User user(UserEntity user, boolean canCreateProjects) {
    return new User(
        user.getId(),
        user.getName(),
        user.getCreatedAt(),
        user.getGlobalRole().value(),
        user.getEmail(),
        user.isActive(),
        new UserPermissions(canCreateProjects),
        user.getSshPublicKey());
  }

  public static UserWithCreds withCreds(UserEntity user, boolean canCreateProjects) {
    return new UserWithCreds(
        user.getId(),
        user.getName(),
        user.getCreatedAt(),
        user.getGlobalRole().value(),
        user.getEmail(),
        user.isActive(),
        new UserPermissions(canCreateProjects),
        user.getSshPublicKey(),
        new UserTokenCreds(user.getToken().plaintext()),
        user.getSshPrivateKey());
  }

  public static PublicKeyInfo publicKey(UserPublicKeyEntity key) {
    return new PublicKeyInfo(
        key.getId(), key.getAddedAt(), key.getName(), key.getType(), key.getFingerprint());
  }
}
