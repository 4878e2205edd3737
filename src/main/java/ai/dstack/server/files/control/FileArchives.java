package ai.dstack.server.files.control;

import ai.dstack.server.ServerContext;
import ai.dstack.server.files.entity.FileArchiveEntity;
import ai.dstack.server.users.entity.UserEntity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceException;
import java.util.UUID;
import java.util.logging.Logger;

/** Users' uploaded file archives (the {@code files:} of runs), one per user and content hash. */
@ApplicationScoped
public class FileArchives {
  private static final Logger log = Logger.getLogger(FileArchives.class.getName());

  @Inject private ServerContext server;

  /**
   * Stores the archive unless the user already has one under {@code hash}; returns the archive's id
   * either way (the same id for the same user and hash).
   */
  public String upload(UserEntity user, String hash, byte[] blob) {
    try {
      return server.database().tx(em -> storeUnlessPresent(em, user, hash, blob));
    } catch (PersistenceException e) {
      // a concurrent upload of the same archive won: its row is the archive
      String id = server.database().read(em -> idByHash(em, user.getId(), hash));
      if (id == null) {
        throw e;
      }
      return id;
    }
  }

  private String storeUnlessPresent(EntityManager em, UserEntity user, String hash, byte[] blob) {
    String id = idByHash(em, user.getId(), hash);
    if (id != null) {
      return id;
    }
    id = UUID.randomUUID().toString();
    em.persist(new FileArchiveEntity(id, user.getId(), hash, blob));
    log.fine(() -> "File archive of user " + user.getName() + " with hash " + hash + " stored");
    return id;
  }

  /** The id of the user's archive with that hash, or null. */
  public String idByHash(UserEntity user, String hash) {
    return server.database().read(em -> idByHash(em, user.getId(), hash));
  }

  /** The archive's content when it is that user's, else null. */
  public byte[] blob(EntityManager em, String archiveId, String userId) {
    if (!isUuid(archiveId)) {
      return null; // PostgreSQL's uuid column would reject the comparison
    }
    return em.createQuery(
            "SELECT a.blob FROM FileArchiveEntity a WHERE a.id = :id AND a.userId = :user",
            byte[].class)
        .setParameter("id", archiveId)
        .setParameter("user", userId)
        .getResultStream()
        .findFirst()
        .orElse(null);
  }

  private static String idByHash(EntityManager em, String userId, String hash) {
    return em.createQuery(
            "SELECT a.id FROM FileArchiveEntity a WHERE a.userId = :user AND a.blobHash = :hash",
            String.class)
        .setParameter("user", userId)
        .setParameter("hash", hash)
        .getResultStream()
        .findFirst()
        .orElse(null);
  }

  private static boolean isUuid(String text) {
    try {
      UUID.fromString(text);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
