package ai.dstack.server.users.control;

import ai.dstack.server.ServerContext;
import ai.dstack.server.api.ApiException;
import ai.dstack.server.crypto.Hashes;
import ai.dstack.server.crypto.SecretText;
import ai.dstack.server.crypto.SshKeyPool;
import ai.dstack.server.crypto.SshKeys;
import ai.dstack.server.crypto.SshPublicKey;
import ai.dstack.server.db.Database;
import ai.dstack.server.db.Keyset;
import ai.dstack.server.db.Times;
import ai.dstack.server.events.control.EventTarget;
import ai.dstack.server.events.control.Events;
import ai.dstack.server.users.entity.GlobalRole;
import ai.dstack.server.users.entity.UserEntity;
import ai.dstack.server.users.entity.UserPublicKeyEntity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/** Users, their tokens and SSH keys (API.md §2.2). */
@ApplicationScoped
public class Users {
  public static final String ADMIN_USERNAME = "admin";
  private static final Pattern USERNAME = Pattern.compile("^[a-zA-Z0-9-_]{1,60}$");
  private static final Logger log = Logger.getLogger(Users.class.getName());

  @Inject private ServerContext server;
  @Inject private SshKeyPool keyPool;
  @Inject private Events events;

  private Database db() {
    return server.database();
  }

  /** The active user holding this token, or 403 "Invalid token". */
  public UserEntity authenticate(String token) {
    String hash = Hashes.sha256Hex(token);
    UserEntity user =
        db().read(
                em ->
                    em.createQuery(
                            "SELECT u FROM UserEntity u WHERE u.tokenHash = :hash",
                            UserEntity.class)
                        .setParameter("hash", hash)
                        .getResultStream()
                        .findFirst())
            .orElse(null);
    if (user == null || !user.isActive() || user.isDeleted()) {
      throw ApiException.invalidToken();
    }
    return user;
  }

  /** Startup: the {@code admin} user, created with the configured or a random token if missing. */
  public UserEntity getOrCreateAdmin(EntityManager em, String configuredToken) {
    UserEntity admin = findByName(em, ADMIN_USERNAME);
    if (admin != null) {
      return admin;
    }
    admin =
        newUser(
            ADMIN_USERNAME,
            GlobalRole.ADMIN,
            null,
            true,
            configuredToken != null ? configuredToken : UUID.randomUUID().toString(),
            // at startup: generated here, so the key pool does not start refilling during boot
            SshKeys.generate(ADMIN_USERNAME));
    em.persist(admin);
    events.record(em, "User created", admin.getId(), EventTarget.user(admin));
    log.info("Created the admin user");
    return admin;
  }

  public boolean canCreateProjects(UserEntity user) {
    return user.isGlobalAdmin() || server.defaultPermissions().allowNonAdminsCreateProjects();
  }

  public Keyset.Page<UserEntity> list(
      UserEntity caller, String namePattern, boolean totalCount, Keyset page) {
    if (!caller.isGlobalAdmin()) {
      // others only ever see themselves; pagination does not apply (as upstream)
      boolean matches =
          namePattern == null || caller.getName().toLowerCase().contains(namePattern.toLowerCase());
      List<UserEntity> self = matches ? List.of(caller) : List.of();
      return new Keyset.Page<>(self, totalCount ? (long) self.size() : null);
    }
    String like = Keyset.likePattern(namePattern);
    Map<String, Object> params = like == null ? Map.of() : Map.of("like", like);
    String filter =
        "e.deleted = FALSE" + (like == null ? "" : " AND LOWER(e.name) LIKE :like ESCAPE '\\'");
    return db().read(em -> page.page(em, UserEntity.class, filter, params, totalCount));
  }

  /** {@code get_my_user}: users created before keys existed get a pair on first ask. */
  public UserEntity withSshKey(UserEntity caller) {
    if (caller.getSshPrivateKey() != null && caller.getSshPublicKey() != null) {
      return caller;
    }
    return refreshSshKey(caller, caller.getName());
  }

  /** {@code get_user}: one's own record, or anyone's for a global admin; else "not found". */
  public UserEntity getWithCreds(UserEntity caller, String username) {
    UserEntity user = db().read(em -> findByName(em, username));
    if (user == null || !(caller.isGlobalAdmin() || caller.getId().equals(user.getId()))) {
      throw ApiException.resourceNotExists();
    }
    return user;
  }

  public UserEntity create(
      UserEntity caller, String username, GlobalRole role, String email, boolean active) {
    if (!USERNAME.matcher(username).matches()) {
      throw ApiException.error("Username should match regex '" + USERNAME.pattern() + "'");
    }
    UserEntity user =
        db().tx(
                em -> {
                  Long existing =
                      em.createQuery(
                              "SELECT COUNT(u) FROM UserEntity u"
                                  + " WHERE LOWER(u.name) = :name AND u.deleted = FALSE",
                              Long.class)
                          .setParameter("name", username.toLowerCase())
                          .getSingleResult();
                  if (existing > 0) {
                    throw ApiException.resourceExists();
                  }
                  UserEntity created =
                      newUser(
                          username,
                          role,
                          email,
                          active,
                          UUID.randomUUID().toString(),
                          keyPool.take(username));
                  em.persist(created);
                  events.record(em, "User created", caller.getId(), EventTarget.user(created));
                  return created;
                });
    log.info("Created user " + username);
    return user;
  }

  public UserEntity update(
      UserEntity caller, String username, GlobalRole role, String email, boolean active) {
    UserEntity user =
        db().tx(
                em -> {
                  UserEntity found = findByName(em, username);
                  if (found == null) {
                    throw ApiException.resourceNotExists();
                  }
                  List<String> updated = new ArrayList<>();
                  if (role != found.getGlobalRole()) {
                    updated.add("global_role=" + role.value());
                  }
                  if (!Objects.equals(email, found.getEmail())) {
                    updated.add("email"); // not the new value: it may be sensitive
                  }
                  if (active != found.isActive()) {
                    updated.add("active=" + (active ? "True" : "False"));
                  }
                  found.setGlobalRole(role);
                  found.setEmail(email);
                  found.setActive(active);
                  events.record(
                      em,
                      "User updated. Updated fields: "
                          + (updated.isEmpty() ? "<none>" : String.join(", ", updated)),
                      caller.getId(),
                      EventTarget.user(found));
                  return found;
                });
    log.info("Updated user " + username);
    return user;
  }

  public UserEntity refreshSshKey(UserEntity caller, String username) {
    requireSelfOrAdmin(caller, username);
    return db().tx(
            em -> {
              UserEntity user = requireUser(em, username);
              SshKeys.SshKeyPair keys = keyPool.take(user.getName());
              user.setSshPrivateKey(keys.privateKey());
              user.setSshPublicKey(keys.publicKey());
              events.record(em, "User SSH key refreshed", caller.getId(), EventTarget.user(user));
              return user;
            });
  }

  public UserEntity refreshToken(UserEntity caller, String username) {
    requireSelfOrAdmin(caller, username);
    UserEntity user =
        db().tx(
                em -> {
                  UserEntity found = requireUser(em, username);
                  setToken(found, UUID.randomUUID().toString());
                  events.record(
                      em, "User token refreshed", caller.getId(), EventTarget.user(found));
                  return found;
                });
    log.info("Refreshed the token of user " + username);
    return user;
  }

  /** Soft delete: renamed out of the way, deactivated, memberships removed; all or nothing. */
  public void delete(UserEntity caller, List<String> usernames) {
    if (usernames.contains(ADMIN_USERNAME)) {
      throw ApiException.error("User '" + ADMIN_USERNAME + "' cannot be deleted");
    }
    db().txRun(
            em -> {
              List<UserEntity> users =
                  em.createQuery(
                          "SELECT u FROM UserEntity u WHERE u.name IN :names AND u.deleted = FALSE",
                          UserEntity.class)
                      .setParameter("names", usernames)
                      .getResultList();
              if (users.size() != usernames.size()) {
                throw ApiException.error("Failed to delete non-existent users");
              }
              long now = Times.now().getEpochSecond();
              for (UserEntity user : users) {
                EventTarget target = EventTarget.user(user); // under its name before deletion
                user.setOriginalName(user.getName());
                user.setName("_deleted_" + now + "_" + Hashes.randomHex(8));
                user.setDeleted(true);
                user.setActive(false);
                events.record(em, "User deleted", caller.getId(), target);
              }
              em.createQuery("DELETE FROM MemberEntity m WHERE m.user IN :users")
                  .setParameter("users", users)
                  .executeUpdate();
            });
    log.info("Deleted users " + usernames);
  }

  public List<UserPublicKeyEntity> listPublicKeys(UserEntity caller) {
    return db().read(
            em ->
                em.createQuery(
                        "SELECT k FROM UserPublicKeyEntity k WHERE k.userId = :user"
                            + " ORDER BY k.addedAt DESC",
                        UserPublicKeyEntity.class)
                    .setParameter("user", caller.getId())
                    .getResultList());
  }

  public UserPublicKeyEntity addPublicKey(UserEntity caller, String keyLine, String name) {
    SshPublicKey key;
    try {
      key = SshPublicKey.parse(keyLine);
    } catch (SshPublicKey.InvalidKeyException e) {
      throw ApiException.error(e.getMessage());
    }
    String keyName =
        name != null && !name.isEmpty()
            ? name
            : key.comment() != null
                ? key.comment().substring(0, Math.min(key.comment().length(), 100))
                : key.md5Hex();
    return db().tx(
            em -> {
              Long existing =
                  em.createQuery(
                          "SELECT COUNT(k) FROM UserPublicKeyEntity k"
                              + " WHERE k.userId = :user AND k.fingerprint = :fp",
                          Long.class)
                      .setParameter("user", caller.getId())
                      .setParameter("fp", key.fingerprint())
                      .getSingleResult();
              if (existing > 0) {
                throw ApiException.resourceExists();
              }
              UserPublicKeyEntity entity =
                  new UserPublicKeyEntity(
                      UUID.randomUUID().toString(),
                      caller.getId(),
                      Times.now(),
                      keyName,
                      key.type(),
                      key.fingerprint(),
                      keyLine.trim());
              em.persist(entity);
              events.record(
                  em,
                  "Public key added. Fingerprint: " + key.fingerprint(),
                  caller.getId(),
                  EventTarget.user(caller));
              return entity;
            });
  }

  public void deletePublicKeys(UserEntity caller, List<UUID> ids) {
    if (ids.isEmpty()) {
      return;
    }
    List<String> keyIds = ids.stream().map(UUID::toString).toList();
    db().txRun(
            em -> {
              List<UserPublicKeyEntity> keys =
                  em.createQuery(
                          "SELECT k FROM UserPublicKeyEntity k"
                              + " WHERE k.userId = :user AND k.id IN :ids",
                          UserPublicKeyEntity.class)
                      .setParameter("user", caller.getId())
                      .setParameter("ids", keyIds)
                      .getResultList();
              for (UserPublicKeyEntity key : keys) {
                em.remove(key);
                events.record(
                    em,
                    "Public key deleted. Fingerprint: " + key.getFingerprint(),
                    caller.getId(),
                    EventTarget.user(caller));
              }
            });
  }

  /** Exact, case-sensitive lookup among users that are not deleted. */
  public UserEntity findByName(EntityManager em, String name) {
    return em.createQuery(
            "SELECT u FROM UserEntity u WHERE u.name = :name AND u.deleted = FALSE",
            UserEntity.class)
        .setParameter("name", name)
        .getResultStream()
        .findFirst()
        .orElse(null);
  }

  /** Members may be named by username or e-mail (upstream's member requests allow both). */
  public UserEntity findByNameOrEmail(EntityManager em, String nameOrEmail) {
    UserEntity byName = findByName(em, nameOrEmail);
    if (byName != null) {
      return byName;
    }
    return em.createQuery(
            "SELECT u FROM UserEntity u WHERE u.email = :email AND u.deleted = FALSE"
                + " ORDER BY u.createdAt",
            UserEntity.class)
        .setParameter("email", nameOrEmail)
        .getResultStream()
        .findFirst()
        .orElse(null);
  }

  private UserEntity requireUser(EntityManager em, String username) {
    UserEntity user = findByName(em, username);
    if (user == null) {
      throw ApiException.resourceNotExists();
    }
    return user;
  }

  private static void requireSelfOrAdmin(UserEntity caller, String username) {
    if (!caller.isGlobalAdmin() && !Objects.equals(caller.getName(), username)) {
      throw ApiException.accessDenied();
    }
  }

  private UserEntity newUser(
      String name,
      GlobalRole role,
      String email,
      boolean active,
      String token,
      SshKeys.SshKeyPair keys) {
    UserEntity user = new UserEntity();
    user.setId(UUID.randomUUID().toString());
    user.setName(name);
    user.setCreatedAt(Times.now());
    user.setGlobalRole(role);
    user.setEmail(email);
    user.setActive(active);
    user.setProjectsQuota(server.settings().userProjectDefaultQuota());
    setToken(user, token);
    user.setSshPrivateKey(keys.privateKey());
    user.setSshPublicKey(keys.publicKey());
    return user;
  }

  private static void setToken(UserEntity user, String token) {
    user.setToken(SecretText.of(token));
    user.setTokenHash(Hashes.sha256Hex(token));
  }
}
