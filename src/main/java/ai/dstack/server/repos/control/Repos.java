package ai.dstack.server.repos.control;

import ai.dstack.server.ServerContext;
import ai.dstack.server.api.ApiException;
import ai.dstack.server.config.schema.PlainTree;
import ai.dstack.server.crypto.SecretText;
import ai.dstack.server.db.Times;
import ai.dstack.server.projects.entity.ProjectEntity;
import ai.dstack.server.repos.entity.CodeEntity;
import ai.dstack.server.repos.entity.RepoCredsEntity;
import ai.dstack.server.repos.entity.RepoEntity;
import ai.dstack.server.repos.entity.RepoType;
import ai.dstack.server.users.entity.UserEntity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonReader;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceException;
import java.io.StringReader;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * A project's repos (what runs belong to), the per-user credentials to clone remote ones, and their
 * uploaded code blobs. Any project member may manage them, as upstream.
 */
@ApplicationScoped
public class Repos {
  private static final Logger log = Logger.getLogger(Repos.class.getName());

  @Inject private ServerContext server;

  /** A repo with the caller's clone credentials when they were asked for and exist. */
  public record RepoWithCreds(RepoEntity repo, Map<String, Object> creds) {}

  public List<RepoEntity> list(ProjectEntity project) {
    return server
        .database()
        .read(
            em ->
                em.createQuery(
                        "SELECT r FROM RepoEntity r WHERE r.projectId = :project"
                            + " ORDER BY r.createdAt, r.id",
                        RepoEntity.class)
                    .setParameter("project", project.getId())
                    .getResultList());
  }

  /**
   * The repo; with {@code includeCreds}, a remote repo also carries the credentials the caller
   * stored (never another user's). 400 {@code resource_not_exists} when there is no such repo.
   */
  public RepoWithCreds get(
      UserEntity caller, ProjectEntity project, String repoName, boolean includeCreds) {
    return server
        .database()
        .read(
            em -> {
              RepoEntity repo = find(em, project.getId(), repoName);
              if (repo == null) {
                throw ApiException.resourceNotExists();
              }
              Map<String, Object> creds =
                  includeCreds && repo.getType() == RepoType.REMOTE
                      ? creds(em, repo.getId(), caller.getId())
                      : null;
              return new RepoWithCreds(repo, creds);
            });
  }

  /**
   * Creates the repo or replaces its info (its type stays what it was created with, as upstream
   * keeps it). For a remote repo the caller's credentials are replaced by {@code creds}, or removed
   * when none are sent.
   *
   * @param info a normalized RepoInfo ({@link RepoSchemas#INFO})
   * @param creds a normalized RemoteRepoCreds, or null
   */
  public void init(
      UserEntity caller,
      ProjectEntity project,
      String repoName,
      Map<String, Object> info,
      Map<String, Object> creds) {
    RepoType type = RepoType.fromWire((String) info.get("repo_type"));
    String infoJson = PlainTree.toJson(info).toString();
    String credsJson = creds == null ? null : PlainTree.toJson(creds).toString();
    retryOnConflict(
        () ->
            server
                .database()
                .tx(
                    em -> {
                      RepoEntity repo = find(em, project.getId(), repoName);
                      if (repo == null) {
                        repo =
                            new RepoEntity(
                                UUID.randomUUID().toString(),
                                project.getId(),
                                repoName,
                                type,
                                infoJson,
                                Times.now());
                        em.persist(repo);
                      } else {
                        repo.setInfo(infoJson);
                      }
                      if (repo.getType() == RepoType.REMOTE) {
                        storeCreds(em, repo, caller, credsJson);
                      }
                      return repo;
                    }));
  }

  private static void storeCreds(
      EntityManager em, RepoEntity repo, UserEntity caller, String credsJson) {
    RepoCredsEntity stored = credsEntity(em, repo.getId(), caller.getId());
    if (credsJson == null) {
      if (stored != null) {
        em.remove(stored);
        log.info("Deleted repo creds for repo " + repo.getName() + " user " + caller.getName());
      }
    } else if (stored == null) {
      em.persist(
          new RepoCredsEntity(
              UUID.randomUUID().toString(),
              repo.getId(),
              caller.getId(),
              SecretText.of(credsJson)));
    } else if (!stored.getCreds().readable() || !stored.getCreds().plaintext().equals(credsJson)) {
      stored.setCreds(SecretText.of(credsJson));
    }
  }

  /** Deletes the named repos (unknown names are ignored), with their creds and code. */
  public void delete(ProjectEntity project, List<String> repoNames) {
    if (repoNames.isEmpty()) {
      return;
    }
    server
        .database()
        .txRun(
            em ->
                em.createQuery(
                        "DELETE FROM RepoEntity r"
                            + " WHERE r.projectId = :project AND r.name IN :names")
                    .setParameter("project", project.getId())
                    .setParameter("names", repoNames)
                    .executeUpdate());
    log.info("Deleted repos " + repoNames + " in project " + project.getName());
  }

  /**
   * Stores a code blob under its hash; a blob already stored under that hash is kept (the hash
   * names the content). 400 {@code repo_does_not_exist} for an unknown repo.
   */
  public void uploadCode(ProjectEntity project, String repoName, String hash, byte[] blob) {
    retryOnConflict(
        () ->
            server
                .database()
                .tx(
                    em -> {
                      RepoEntity repo = find(em, project.getId(), repoName);
                      if (repo == null) {
                        throw ApiException.repoDoesNotExist(repoName);
                      }
                      if (!hasCode(em, repo.getId(), hash)) {
                        em.persist(
                            new CodeEntity(UUID.randomUUID().toString(), repo.getId(), hash, blob));
                      }
                      return repo;
                    }));
  }

  /** The repo named {@code repoName} (the client's {@code repo_id}) of a project, or null. */
  public RepoEntity find(EntityManager em, String projectId, String repoName) {
    return em.createQuery(
            "SELECT r FROM RepoEntity r WHERE r.projectId = :project AND r.name = :name",
            RepoEntity.class)
        .setParameter("project", projectId)
        .setParameter("name", repoName)
        .getResultStream()
        .findFirst()
        .orElse(null);
  }

  /** The code blob uploaded for a repo (by its entity id) under {@code hash}, or null. */
  public byte[] codeBlob(EntityManager em, String repoEntityId, String hash) {
    return em.createQuery(
            "SELECT c.blob FROM CodeEntity c WHERE c.repoId = :repo AND c.blobHash = :hash",
            byte[].class)
        .setParameter("repo", repoEntityId)
        .setParameter("hash", hash)
        .getResultStream()
        .findFirst()
        .orElse(null);
  }

  /**
   * A user's RemoteRepoCreds for a repo ({@code clone_url}, {@code private_key}, {@code
   * oauth_token}), or null when that user stored none. UndecryptableValueException when no
   * configured key reads them.
   */
  @SuppressWarnings("unchecked")
  public Map<String, Object> creds(EntityManager em, String repoEntityId, String userId) {
    RepoCredsEntity stored = credsEntity(em, repoEntityId, userId);
    if (stored == null) {
      return null;
    }
    try (JsonReader reader = Json.createReader(new StringReader(stored.getCreds().plaintext()))) {
      return (Map<String, Object>) PlainTree.fromJson(reader.readValue());
    }
  }

  private static RepoCredsEntity credsEntity(EntityManager em, String repoId, String userId) {
    return em.createQuery(
            "SELECT c FROM RepoCredsEntity c WHERE c.repoId = :repo AND c.userId = :user",
            RepoCredsEntity.class)
        .setParameter("repo", repoId)
        .setParameter("user", userId)
        .getResultStream()
        .findFirst()
        .orElse(null);
  }

  private static boolean hasCode(EntityManager em, String repoId, String hash) {
    return !em.createQuery(
            "SELECT c.id FROM CodeEntity c WHERE c.repoId = :repo AND c.blobHash = :hash",
            String.class)
        .setParameter("repo", repoId)
        .setParameter("hash", hash)
        .setMaxResults(1)
        .getResultList()
        .isEmpty();
  }

  /**
   * Runs an upsert again when a concurrent request inserted the same row between its read and its
   * insert: the second attempt then sees the row and updates or keeps it.
   */
  private static void retryOnConflict(Supplier<?> upsert) {
    try {
      upsert.get();
    } catch (PersistenceException e) {
      upsert.get();
    }
  }
}
