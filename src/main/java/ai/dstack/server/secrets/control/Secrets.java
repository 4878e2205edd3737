package ai.dstack.server.secrets.control;

import ai.dstack.server.ServerContext;
import ai.dstack.server.api.ApiException;
import ai.dstack.server.crypto.SecretText;
import ai.dstack.server.db.Times;
import ai.dstack.server.events.control.EventTarget;
import ai.dstack.server.events.control.Events;
import ai.dstack.server.projects.control.Projects;
import ai.dstack.server.projects.entity.ProjectEntity;
import ai.dstack.server.secrets.entity.SecretEntity;
import ai.dstack.server.users.entity.UserEntity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Project secrets, encrypted at rest; managed by those {@code default_permissions} allow. */
@ApplicationScoped
public class Secrets {
  private static final Pattern NAME = Pattern.compile("^[A-Za-z0-9-_]{1,200}$");
  private static final int MAX_VALUE_LENGTH = 5000;

  @Inject private ServerContext server;
  @Inject private Projects projects;
  @Inject private Events events;

  public List<SecretEntity> list(UserEntity caller, ProjectEntity project) {
    requireManager(caller, project);
    return server
        .database()
        .read(
            em ->
                em.createQuery(
                        "SELECT s FROM SecretEntity s WHERE s.projectId = :project"
                            + " ORDER BY s.createdAt DESC",
                        SecretEntity.class)
                    .setParameter("project", project.getId())
                    .getResultList());
  }

  /** The project's readable secrets by name, for interpolation into jobs (no permission check). */
  public static Map<String, String> values(EntityManager em, String projectId) {
    Map<String, String> values = new HashMap<>();
    for (SecretEntity secret :
        em.createQuery(
                "SELECT s FROM SecretEntity s WHERE s.projectId = :project", SecretEntity.class)
            .setParameter("project", projectId)
            .getResultList()) {
      if (secret.getValue() != null && secret.getValue().readable()) {
        values.put(secret.getName(), secret.getValue().plaintext());
      }
    }
    return values;
  }

  public SecretEntity get(UserEntity caller, ProjectEntity project, String name) {
    requireManager(caller, project);
    SecretEntity secret = server.database().read(em -> find(em, project, name));
    if (secret == null) {
      throw ApiException.resourceNotExists();
    }
    return secret;
  }

  public SecretEntity createOrUpdate(
      UserEntity caller, ProjectEntity project, String name, String value) {
    requireManager(caller, project);
    if (!NAME.matcher(name).matches()) {
      // upstream's message, unbalanced quote included
      throw ApiException.error("Secret name should match regex '" + NAME.pattern());
    }
    if (value.length() > MAX_VALUE_LENGTH) {
      throw ApiException.error("Secret value length must not exceed " + MAX_VALUE_LENGTH);
    }
    try {
      return upsert(caller, project, name, value);
    } catch (PersistenceException e) {
      // another request created the same name between our read and insert: now it is an update
      return upsert(caller, project, name, value);
    }
  }

  private SecretEntity upsert(UserEntity caller, ProjectEntity project, String name, String value) {
    return server
        .database()
        .tx(
            em -> {
              SecretEntity secret = find(em, project, name);
              if (secret == null) {
                secret =
                    new SecretEntity(
                        UUID.randomUUID().toString(),
                        project.getId(),
                        name,
                        SecretText.of(value),
                        Times.now());
                em.persist(secret);
                events.record(em, "Secret created", caller.getId(), EventTarget.secret(secret));
              } else if (!secret.getValue().readable()
                  || !secret.getValue().plaintext().equals(value)) {
                secret.setValue(SecretText.of(value), Times.now());
                events.record(em, "Secret updated", caller.getId(), EventTarget.secret(secret));
              }
              return secret;
            });
  }

  public void delete(UserEntity caller, ProjectEntity project, List<String> names) {
    requireManager(caller, project);
    server
        .database()
        .txRun(
            em -> {
              List<SecretEntity> found =
                  em.createQuery(
                          "SELECT s FROM SecretEntity s"
                              + " WHERE s.projectId = :project AND s.name IN :names",
                          SecretEntity.class)
                      .setParameter("project", project.getId())
                      .setParameter("names", names.isEmpty() ? List.of("") : names)
                      .getResultList();
              Set<String> existing =
                  found.stream().map(SecretEntity::getName).collect(Collectors.toSet());
              List<String> missing =
                  names.stream().filter(n -> !existing.contains(n)).distinct().toList();
              if (!missing.isEmpty()) {
                throw ApiException.resourceNotExists(
                    "Secrets not found: " + String.join(", ", missing));
              }
              for (SecretEntity secret : found) {
                em.remove(secret);
                events.record(em, "Secret deleted", caller.getId(), EventTarget.secret(secret));
              }
            });
  }

  private void requireManager(UserEntity caller, ProjectEntity project) {
    if (!projects.canManageSecrets(caller, project)) {
      throw ApiException.forbidden();
    }
  }

  private static SecretEntity find(EntityManager em, ProjectEntity project, String name) {
    return em.createQuery(
            "SELECT s FROM SecretEntity s WHERE s.projectId = :project AND s.name = :name",
            SecretEntity.class)
        .setParameter("project", project.getId())
        .setParameter("name", name)
        .getResultStream()
        .findFirst()
        .orElse(null);
  }
}
