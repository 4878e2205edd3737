package ai.dstack.server.projects.control;

import ai.dstack.server.ServerContext;
import ai.dstack.server.api.ApiException;
import ai.dstack.server.crypto.Hashes;
import ai.dstack.server.crypto.SshKeyPool;
import ai.dstack.server.crypto.SshKeys;
import ai.dstack.server.db.Database;
import ai.dstack.server.db.Keyset;
import ai.dstack.server.db.Times;
import ai.dstack.server.events.control.EventTarget;
import ai.dstack.server.events.control.Events;
import ai.dstack.server.projects.entity.MemberEntity;
import ai.dstack.server.projects.entity.ProjectEntity;
import ai.dstack.server.projects.entity.ProjectRole;
import ai.dstack.server.users.control.Users;
import ai.dstack.server.users.entity.UserEntity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Projects and their members (API.md §2.3), and the project-level permission checks. */
@ApplicationScoped
public class Projects {
  public static final String DEFAULT_PROJECT = "main";
  public static final Pattern PROJECT_NAME = Pattern.compile("^[a-zA-Z0-9-_]{1,50}$");
  private static final Logger log = Logger.getLogger(Projects.class.getName());

  @Inject private ServerContext server;
  @Inject private SshKeyPool keyPool;
  @Inject private Users users;
  @Inject private TemplatesRepos templatesRepos;
  @Inject private Events events;

  /** A project with its members, as {@code get} and the member endpoints return it. */
  public record ProjectDetails(ProjectEntity project, List<MemberEntity> members) {}

  public record MemberRequest(String username, ProjectRole role) {}

  private Database db() {
    return server.database();
  }

  /**
   * The project named in the path, if the caller may act on it at that level: 404 for an unknown
   * project, 403 for a caller without the role.
   */
  public ProjectEntity access(UserEntity caller, String projectName, ProjectAccess level) {
    return db().read(
            em -> {
              ProjectEntity project = findByName(em, projectName);
              if (project == null) {
                throw ApiException.projectNotFound();
              }
              if (caller.isGlobalAdmin()) {
                return project;
              }
              ProjectRole role = roleOf(em, project, caller);
              boolean allowed =
                  switch (level) {
                    case MEMBER -> role != null;
                    case MEMBER_OR_PUBLIC -> role != null || project.isPublic();
                    case MANAGER -> role == ProjectRole.ADMIN || role == ProjectRole.MANAGER;
                    case MANAGER_OR_PUBLIC ->
                        role == ProjectRole.ADMIN
                            || role == ProjectRole.MANAGER
                            || project.isPublic();
                    case ADMIN -> role == ProjectRole.ADMIN;
                  };
              if (!allowed) {
                throw ApiException.accessDenied();
              }
              return project;
            });
  }

  /** Startup: project {@code main}, owned by admin, with admin as its project admin. */
  public void getOrCreateMain(EntityManager em, UserEntity admin) {
    if (findByName(em, DEFAULT_PROJECT) != null) {
      return;
    }
    // at startup: generated here, so the key pool does not start refilling during boot
    ProjectEntity project =
        newProject(
            DEFAULT_PROJECT, admin, false, null, SshKeys.generate(DEFAULT_PROJECT + "@dstack"));
    em.persist(project);
    em.persist(newMember(project, admin, ProjectRole.ADMIN, 0));
    events.record(em, "Project created", admin.getId(), EventTarget.project(project));
    log.info("Created the default project " + DEFAULT_PROJECT);
  }

  /**
   * Startup: a project listed in config.yml, created if missing, owned by admin and (as upstream)
   * without a member row.
   */
  public ProjectEntity getOrCreateConfigured(EntityManager em, String name, UserEntity admin) {
    ProjectEntity project = findByName(em, name);
    if (project != null) {
      return project;
    }
    project = newProject(name, admin, false, null, SshKeys.generate(name + "@dstack"));
    em.persist(project);
    events.record(em, "Project created", admin.getId(), EventTarget.project(project));
    log.info("Created project " + name + " from the server configuration");
    return project;
  }

  public Keyset.Page<ProjectEntity> list(
      UserEntity caller,
      boolean includeNotJoined,
      String namePattern,
      boolean totalCount,
      Keyset page) {
    String like = Keyset.likePattern(namePattern);
    StringBuilder filter = new StringBuilder("e.deleted = FALSE");
    Map<String, Object> params = new HashMap<>();
    if (like != null) {
      filter.append(" AND LOWER(e.name) LIKE :like ESCAPE '\\'");
      params.put("like", like);
    }
    if (!caller.isGlobalAdmin()) {
      String member =
          "EXISTS (SELECT m FROM MemberEntity m WHERE m.project = e AND m.user.id = :caller)";
      filter.append(
          includeNotJoined ? " AND (" + member + " OR e.isPublic = TRUE)" : " AND " + member);
      params.put("caller", caller.getId());
    }
    return db().read(
            em -> page.page(em, ProjectEntity.class, filter.toString(), params, totalCount));
  }

  /** Projects the caller is a member of and that have no fleets, oldest first. */
  public List<ProjectEntity> listWithoutFleets(UserEntity caller) {
    return db().read(
            em ->
                em.createQuery(
                        "SELECT m.project FROM MemberEntity m WHERE m.user.id = :caller"
                            + " AND m.project.deleted = FALSE AND NOT EXISTS (SELECT f FROM"
                            + " FleetEntity f WHERE f.projectId = m.project.id AND f.deleted = FALSE)"
                            + " ORDER BY m.project.createdAt ASC",
                        ProjectEntity.class)
                    .setParameter("caller", caller.getId())
                    .getResultList());
  }

  /** Projects whose fleets and instances the caller sees: every one for a global admin. */
  public List<ProjectEntity> listVisible(UserEntity caller) {
    return db().read(
            em ->
                caller.isGlobalAdmin()
                    ? em.createQuery(
                            "SELECT p FROM ProjectEntity p WHERE p.deleted = FALSE",
                            ProjectEntity.class)
                        .getResultList()
                    : em.createQuery(
                            "SELECT m.project FROM MemberEntity m WHERE m.user.id = :caller"
                                + " AND m.project.deleted = FALSE",
                            ProjectEntity.class)
                        .setParameter("caller", caller.getId())
                        .getResultList());
  }

  public ProjectDetails create(
      UserEntity caller, String name, boolean isPublic, String templatesRepo) {
    if (!users.canCreateProjects(caller)) {
      throw ApiException.forbidden("User cannot create projects");
    }
    ProjectDetails created =
        db().tx(
                em -> {
                  Long existing =
                      em.createQuery(
                              "SELECT COUNT(p) FROM ProjectEntity p"
                                  + " WHERE LOWER(p.name) = :name AND p.deleted = FALSE",
                              Long.class)
                          .setParameter("name", name.toLowerCase())
                          .getSingleResult();
                  if (existing > 0) {
                    throw ApiException.resourceExists();
                  }
                  if (!caller.isGlobalAdmin()) {
                    Long owned =
                        em.createQuery(
                                "SELECT COUNT(p) FROM ProjectEntity p"
                                    + " WHERE p.owner.id = :owner AND p.deleted = FALSE",
                                Long.class)
                            .setParameter("owner", caller.getId())
                            .getSingleResult();
                    if (owned >= caller.getProjectsQuota()) {
                      throw ApiException.error("User project quota exceeded");
                    }
                  }
                  if (!PROJECT_NAME.matcher(name).matches()) {
                    throw ApiException.error(
                        "Project name should match regex '" + PROJECT_NAME.pattern() + "'");
                  }
                  String repo = templatesRepos.validated(templatesRepo);
                  UserEntity owner = em.find(UserEntity.class, caller.getId());
                  ProjectEntity project =
                      newProject(name, owner, isPublic, repo, keyPool.take(name + "@dstack"));
                  em.persist(project);
                  MemberEntity member = newMember(project, owner, ProjectRole.ADMIN, 0);
                  em.persist(member);
                  events.record(em, "Project created", owner.getId(), EventTarget.project(project));
                  return new ProjectDetails(project, List.of(member));
                });
    log.info("Created project " + name + " (owner " + caller.getName() + ")");
    return created;
  }

  /** Soft delete, all or nothing; only owners and project admins of every named project. */
  public void delete(UserEntity caller, List<String> names) {
    db().txRun(
            em -> {
              List<ProjectEntity> projects =
                  em.createQuery(
                          "SELECT p FROM ProjectEntity p WHERE p.name IN :names"
                              + " AND p.deleted = FALSE",
                          ProjectEntity.class)
                      .setParameter("names", names)
                      .getResultList();
              if (!caller.isGlobalAdmin()) {
                Map<String, ProjectEntity> byName =
                    projects.stream()
                        .collect(Collectors.toMap(ProjectEntity::getName, p -> p, (a, b) -> a));
                for (String name : names) {
                  ProjectEntity project = byName.get(name);
                  ProjectRole role = project == null ? null : roleOf(em, project, caller);
                  boolean owner =
                      project != null && project.getOwner().getId().equals(caller.getId());
                  if (role == null || !(owner || role == ProjectRole.ADMIN)) {
                    throw ApiException.forbidden();
                  }
                }
              }
              if (projects.size() != names.size()) {
                throw ApiException.error("Failed to delete non-existent projects");
              }
              long now = Times.now().getEpochSecond();
              for (ProjectEntity project : projects) {
                EventTarget target = EventTarget.project(project); // under its name before deletion
                project.setOriginalName(project.getName());
                project.setName("_deleted_" + now + "_" + Hashes.randomHex(8));
                project.setDeleted(true);
                events.record(em, "Project deleted", caller.getId(), target);
              }
            });
    log.info("Deleted projects " + names);
  }

  public ProjectDetails details(ProjectEntity project) {
    return db().read(em -> new ProjectDetails(project, members(em, project)));
  }

  /** Replaces the member list; unknown users are skipped, as upstream. */
  public ProjectDetails setMembers(
      UserEntity caller, ProjectEntity project, List<MemberRequest> requested) {
    rejectDuplicates(requested.stream().map(MemberRequest::username).toList());
    ProjectDetails details =
        db().tx(
                em -> {
                  ProjectEntity managed = em.find(ProjectEntity.class, project.getId());
                  List<MemberEntity> current = members(em, managed);
                  if (!caller.isGlobalAdmin()
                      && roleOf(current, caller) == ProjectRole.MANAGER
                      && !adminPairs(requested).equals(currentAdminPairs(current))) {
                    throw ApiException.forbidden("Access denied: changing project admins");
                  }
                  current.forEach(em::remove);
                  em.flush();
                  List<MemberEntity> created = new ArrayList<>();
                  for (int i = 0; i < requested.size(); i++) {
                    UserEntity user = users.findByNameOrEmail(em, requested.get(i).username());
                    if (user != null) {
                      MemberEntity member = newMember(managed, user, requested.get(i).role(), i);
                      em.persist(member);
                      created.add(member);
                    }
                  }
                  return new ProjectDetails(managed, created);
                });
    log.info("Set the members of project " + project.getName());
    return details;
  }

  public ProjectDetails addMembers(
      UserEntity caller, ProjectEntity project, List<MemberRequest> requested) {
    rejectDuplicates(requested.stream().map(MemberRequest::username).toList());
    ProjectDetails details =
        db().tx(
                em -> {
                  ProjectEntity managed = em.find(ProjectEntity.class, project.getId());
                  List<MemberEntity> current = members(em, managed);
                  ProjectRole callerRole = roleOf(current, caller);
                  boolean selfJoin =
                      requested.size() == 1
                          && managed.isPublic()
                          && isSelf(caller, requested.get(0).username())
                          && callerRole == null;
                  if (selfJoin) {
                    if (requested.get(0).role() != ProjectRole.USER) {
                      throw ApiException.forbidden(
                          "Access denied: can only join public projects as user role");
                    }
                  } else if (!caller.isGlobalAdmin()) {
                    if (callerRole != ProjectRole.ADMIN && callerRole != ProjectRole.MANAGER) {
                      throw ApiException.forbidden(
                          "Access denied: insufficient permissions to add members");
                    }
                    if (callerRole == ProjectRole.MANAGER
                        && requested.stream().anyMatch(r -> r.role() == ProjectRole.ADMIN)) {
                      throw ApiException.forbidden(
                          "Access denied: only global admins can add project admins");
                    }
                  }
                  for (MemberRequest request : requested) {
                    UserEntity user = users.findByNameOrEmail(em, request.username());
                    if (user == null) {
                      throw ApiException.error("User not found: " + request.username());
                    }
                    MemberEntity existing = memberOf(current, user).orElse(null);
                    if (existing != null) {
                      existing.setProjectRole(request.role());
                    } else {
                      MemberEntity member = newMember(managed, user, request.role(), null);
                      em.persist(member);
                      current.add(member);
                    }
                  }
                  return new ProjectDetails(managed, sorted(current));
                });
    log.info("Added members to project " + project.getName());
    return details;
  }

  public ProjectDetails removeMembers(
      UserEntity caller, ProjectEntity project, List<String> usernames) {
    ProjectDetails details =
        db().tx(
                em -> {
                  ProjectEntity managed = em.find(ProjectEntity.class, project.getId());
                  List<MemberEntity> current = members(em, managed);
                  ProjectRole callerRole = roleOf(current, caller);
                  boolean selfLeave =
                      usernames.size() == 1
                          && isSelf(caller, usernames.get(0))
                          && callerRole != null;
                  if (!selfLeave
                      && !caller.isGlobalAdmin()
                      && callerRole != ProjectRole.ADMIN
                      && callerRole != ProjectRole.MANAGER) {
                    throw ApiException.forbidden(
                        "Access denied: insufficient permissions to remove members");
                  }
                  long admins =
                      current.stream().filter(m -> m.getProjectRole() == ProjectRole.ADMIN).count();
                  int adminsRemoved = 0;
                  List<MemberEntity> removed = new ArrayList<>();
                  for (String username : usernames) {
                    UserEntity user = users.findByNameOrEmail(em, username);
                    if (user == null) {
                      throw ApiException.error("User not found: " + username);
                    }
                    MemberEntity member =
                        memberOf(current, user)
                            .orElseThrow(
                                () ->
                                    ApiException.error(
                                        "User is not a member of this project: " + username));
                    if (member.getProjectRole() == ProjectRole.ADMIN) {
                      if (selfLeave && admins <= 1) {
                        throw ApiException.error("Cannot leave project: you are the last admin");
                      }
                      if (!selfLeave && !caller.isGlobalAdmin()) {
                        throw ApiException.forbidden(
                            "Access denied: only global admins can remove project admins (user: "
                                + username
                                + ")");
                      }
                      adminsRemoved++;
                    }
                    removed.add(member);
                  }
                  if (!selfLeave && adminsRemoved >= admins) {
                    throw ApiException.error("Cannot remove all project admins");
                  }
                  removed.forEach(em::remove);
                  current.removeAll(removed);
                  return new ProjectDetails(managed, current);
                });
    log.info("Removed members " + usernames + " from project " + project.getName());
    return details;
  }

  public ProjectDetails update(
      UserEntity caller,
      ProjectEntity project,
      Boolean isPublic,
      String templatesRepo,
      boolean resetTemplatesRepo) {
    String validatedRepo =
        resetTemplatesRepo || templatesRepo == null || templatesRepo.isBlank()
            ? null
            : templatesRepo.trim();
    if (validatedRepo != null && !validatedRepo.equals(project.getTemplatesRepo())) {
      templatesRepos.validated(validatedRepo);
    }
    ProjectDetails details =
        db().tx(
                em -> {
                  ProjectEntity managed = em.find(ProjectEntity.class, project.getId());
                  List<String> updated = new ArrayList<>();
                  if (isPublic != null && isPublic != managed.isPublic()) {
                    updated.add("is_public=" + (isPublic ? "True" : "False"));
                  }
                  if (isPublic != null) {
                    managed.setPublic(isPublic);
                  }
                  String newRepo = resetTemplatesRepo ? null : validatedRepo;
                  if ((resetTemplatesRepo || validatedRepo != null)
                      && !Objects.equals(newRepo, managed.getTemplatesRepo())) {
                    updated.add("templates_repo=" + (newRepo == null ? "None" : newRepo));
                    managed.setTemplatesRepo(newRepo);
                  }
                  events.record(
                      em,
                      "Project updated. Updated fields: "
                          + (updated.isEmpty() ? "<none>" : String.join(", ", updated)),
                      caller.getId(),
                      EventTarget.project(managed));
                  return new ProjectDetails(managed, members(em, managed));
                });
    log.info("Updated project " + project.getName());
    return details;
  }

  /**
   * What a member may do beyond their role (API.md §1.2 "Extra service-level permission rules").
   */
  public boolean canManageSshFleets(UserEntity user, ProjectRole role) {
    return server.defaultPermissions().allowNonAdminsManageSshFleets()
        || user.isGlobalAdmin()
        || role == ProjectRole.ADMIN;
  }

  public boolean canManageSecrets(UserEntity user, ProjectRole role) {
    return user.isGlobalAdmin()
        || role == ProjectRole.ADMIN
        || (role == ProjectRole.MANAGER
            && server.defaultPermissions().allowManagersManageSecrets());
  }

  /** Whether the caller may manage the project's secrets under the current default permissions. */
  public boolean canManageSecrets(UserEntity caller, ProjectEntity project) {
    if (caller.isGlobalAdmin()) {
      return true;
    }
    ProjectRole role = db().read(em -> roleOf(em, project, caller));
    return canManageSecrets(caller, role);
  }

  /** Case-insensitive, as upstream's project lookups. */
  public ProjectEntity findByName(EntityManager em, String name) {
    return em.createQuery(
            "SELECT p FROM ProjectEntity p WHERE LOWER(p.name) = :name AND p.deleted = FALSE",
            ProjectEntity.class)
        .setParameter("name", name.toLowerCase())
        .getResultStream()
        .findFirst()
        .orElse(null);
  }

  private static List<MemberEntity> members(EntityManager em, ProjectEntity project) {
    return sorted(
        em.createQuery(
                "SELECT m FROM MemberEntity m WHERE m.project.id = :project", MemberEntity.class)
            .setParameter("project", project.getId())
            .getResultList());
  }

  /** Upstream orders by {@code member_num}; members added without one come last. */
  private static List<MemberEntity> sorted(List<MemberEntity> members) {
    List<MemberEntity> copy = new ArrayList<>(members);
    copy.sort(
        Comparator.comparing(
                MemberEntity::getMemberNum, Comparator.nullsLast(Comparator.naturalOrder()))
            .thenComparing(m -> m.getUser().getCreatedAt()));
    return copy;
  }

  private static ProjectRole roleOf(EntityManager em, ProjectEntity project, UserEntity user) {
    return em.createQuery(
            "SELECT m.projectRole FROM MemberEntity m"
                + " WHERE m.project.id = :project AND m.user.id = :user",
            ProjectRole.class)
        .setParameter("project", project.getId())
        .setParameter("user", user.getId())
        .getResultStream()
        .findFirst()
        .orElse(null);
  }

  private static ProjectRole roleOf(List<MemberEntity> members, UserEntity user) {
    return memberOf(members, user).map(MemberEntity::getProjectRole).orElse(null);
  }

  private static Optional<MemberEntity> memberOf(List<MemberEntity> members, UserEntity user) {
    return members.stream().filter(m -> m.getUser().getId().equals(user.getId())).findFirst();
  }

  private static boolean isSelf(UserEntity caller, String nameOrEmail) {
    return nameOrEmail.equals(caller.getName())
        || (caller.getEmail() != null && nameOrEmail.equals(caller.getEmail()));
  }

  private static void rejectDuplicates(List<String> usernames) {
    if (new HashSet<>(usernames).size() != usernames.size()) {
      throw ApiException.error("Cannot add same user multiple times");
    }
  }

  private static Set<String> adminPairs(List<MemberRequest> requested) {
    return requested.stream()
        .filter(r -> r.role() == ProjectRole.ADMIN)
        .map(MemberRequest::username)
        .collect(Collectors.toSet());
  }

  private static Set<String> currentAdminPairs(List<MemberEntity> members) {
    return members.stream()
        .filter(m -> m.getProjectRole() == ProjectRole.ADMIN)
        .map(m -> m.getUser().getName())
        .collect(Collectors.toSet());
  }

  private ProjectEntity newProject(
      String name,
      UserEntity owner,
      boolean isPublic,
      String templatesRepo,
      SshKeys.SshKeyPair keys) {
    ProjectEntity project = new ProjectEntity();
    project.setId(UUID.randomUUID().toString());
    project.setName(name);
    project.setOwner(owner);
    project.setCreatedAt(Times.now());
    project.setPublic(isPublic);
    project.setTemplatesRepo(templatesRepo);
    project.setSshPrivateKey(keys.privateKey());
    project.setSshPublicKey(keys.publicKey());
    return project;
  }

  private static MemberEntity newMember(
      ProjectEntity project, UserEntity user, ProjectRole role, Integer memberNum) {
    return new MemberEntity(UUID.randomUUID().toString(), project, user, role, memberNum);
  }
}
