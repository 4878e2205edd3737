package ai.dstack.server.events.control;

import ai.dstack.server.ServerContext;
import ai.dstack.server.db.InstantText;
import ai.dstack.server.db.Keyset;
import ai.dstack.server.db.Times;
import ai.dstack.server.events.entity.EventEntity;
import ai.dstack.server.events.entity.EventTargetEntity;
import ai.dstack.server.projects.entity.ProjectEntity;
import ai.dstack.server.users.entity.UserEntity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.TypedQuery;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * The audit log (API.md §2.9, §3.8): events recorded inside the transaction that made the change,
 * listed with upstream's filters and visibility, deleted after {@code DSTACK_SERVER_EVENTS_TTL}.
 */
@ApplicationScoped
public class Events {
  private static final Logger log = Logger.getLogger(Events.class.getName());

  @Inject private ServerContext server;

  /**
   * What {@code events/list} asks for: at most one {@code target_*} (type and ids), at most one
   * {@code within_*} (project, fleet or run, and ids); null where not given. {@code actors} may
   * hold null, meaning the system.
   */
  public record Filter(
      EventTargetType targetType,
      List<String> targetIds,
      EventTargetType withinType,
      List<String> withinIds,
      List<EventTargetType> includeTargetTypes,
      List<String> actors) {}

  /** A listed target, with its project's current name and whether the project is deleted. */
  public record ListedTarget(
      EventTargetEntity target, String projectName, Boolean projectDeleted) {}

  public record Listed(EventEntity event, List<ListedTarget> targets) {}

  /**
   * Records an event in the caller's transaction. Upstream's message rules: stripped, no trailing
   * period, one line. {@code actorUserId} null means the system. Nothing is stored while the events
   * TTL is 0, but the log line is still written.
   */
  public void record(EntityManager em, String message, String actorUserId, EventTarget... targets) {
    if (targets.length == 0) {
      throw new IllegalArgumentException("At least one target must be specified");
    }
    String text = normalized(message);
    if (text.isEmpty()) {
      throw new IllegalArgumentException("Message cannot be empty");
    }
    log.info(
        "Emitting event: "
            + text
            + ". Event targets: "
            + Arrays.stream(targets).map(EventTarget::fmt).collect(Collectors.joining(", "))
            + ". Actor: "
            + (actorUserId == null ? "system" : "user(" + shortId(actorUserId) + ")"));
    if (server.settings().runs().eventsTtl().isZero()) {
      return;
    }
    UserEntity actor = actorUserId == null ? null : em.find(UserEntity.class, actorUserId);
    EventEntity event = new EventEntity(UUID.randomUUID().toString(), text, Times.now(), actor);
    em.persist(event);
    for (EventTarget target : targets) {
      em.persist(
          new EventTargetEntity(
              UUID.randomUUID().toString(),
              event,
              target.type(),
              target.id(),
              target.name(),
              target.projectId(),
              target.runId(),
              target.fleetId()));
    }
  }

  /** Upstream's message normalisation: stripped, trailing periods dropped, newlines as spaces. */
  static String normalized(String message) {
    String text = message.strip();
    int end = text.length();
    while (end > 0 && text.charAt(end - 1) == '.') {
      end--;
    }
    return text.substring(0, end).replace("\n", " ");
  }

  private static String shortId(String id) {
    String hex = id.replace("-", "");
    return hex.substring(0, Math.min(6, hex.length()));
  }

  /**
   * Events the caller may see (a global admin: all; others: those with a target in a project they
   * are a member of, or targeting themselves) that have a target matching every target filter.
   */
  public List<Listed> list(UserEntity caller, Filter filter, Keyset page) {
    return server.database().read(em -> list(em, caller, filter, page));
  }

  private List<Listed> list(EntityManager em, UserEntity caller, Filter filter, Keyset page) {
    Map<String, Object> params = new HashMap<>();
    List<String> conditions = new ArrayList<>();
    if (filter.actors() != null) {
      List<String> users = filter.actors().stream().filter(Objects::nonNull).toList();
      List<String> either = new ArrayList<>();
      if (filter.actors().contains(null)) {
        either.add("e.actorUserId IS NULL");
      }
      if (!users.isEmpty()) {
        either.add("e.actorUserId IN :actors");
        params.put("actors", users);
      }
      conditions.add("(" + String.join(" OR ", either) + ")");
    }
    List<String> wanted = new ArrayList<>();
    if (filter.targetType() != null) {
      wanted.add("t.entityType = :targetType AND t.entityId IN :targetIds");
      params.put("targetType", filter.targetType().wire());
      params.put("targetIds", filter.targetIds());
    }
    if (filter.withinType() != null) {
      String column =
          switch (filter.withinType()) {
            case PROJECT -> "t.entityProjectId";
            case FLEET -> "t.entityFleetId";
            case RUN -> "t.entityRunId";
            default -> throw new IllegalArgumentException("within " + filter.withinType());
          };
      wanted.add(column + " IN :withinIds");
      params.put("withinIds", filter.withinIds());
    }
    if (filter.includeTargetTypes() != null) {
      wanted.add("t.entityType IN :includeTypes");
      params.put(
          "includeTypes", filter.includeTargetTypes().stream().map(EventTargetType::wire).toList());
    }
    if (!wanted.isEmpty()) {
      conditions.add(targetExists("t", String.join(" AND ", wanted)));
    }
    if (!caller.isGlobalAdmin()) {
      List<String> memberOf =
          em.createQuery(
                  "SELECT m.project.id FROM MemberEntity m WHERE m.user.id = :caller", String.class)
              .setParameter("caller", caller.getId())
              .getResultList();
      String self = "(v.entityProjectId IS NULL AND v.entityType = 'user' AND v.entityId = :self)";
      params.put("self", caller.getId());
      if (!memberOf.isEmpty()) {
        self = "(v.entityProjectId IN :memberOf OR " + self + ")";
        params.put("memberOf", memberOf);
      }
      conditions.add(targetExists("v", self));
    }
    String where = conditions.isEmpty() ? "" : " AND " + String.join(" AND ", conditions);
    TypedQuery<EventEntity> query =
        em.createQuery(
            "SELECT e FROM EventEntity e WHERE e.recordedAt IS NOT NULL"
                + where
                + page.condition("e.recordedAt", "e.id")
                + page.orderBy("e.recordedAt", "e.id"),
            EventEntity.class);
    params.forEach(query::setParameter);
    List<EventEntity> events = page.results(query);
    return withTargets(em, events);
  }

  private static String targetExists(String alias, String condition) {
    return "EXISTS (SELECT "
        + alias
        + " FROM EventTargetEntity "
        + alias
        + " WHERE "
        + alias
        + ".event = e AND "
        + condition
        + ")";
  }

  private static List<Listed> withTargets(EntityManager em, List<EventEntity> events) {
    if (events.isEmpty()) {
      return List.of();
    }
    Map<String, List<EventTargetEntity>> byEvent = new HashMap<>();
    em.createQuery(
            "SELECT t FROM EventTargetEntity t WHERE t.event.id IN :ids", EventTargetEntity.class)
        .setParameter("ids", events.stream().map(EventEntity::getId).toList())
        .getResultList()
        .forEach(t -> byEvent.computeIfAbsent(t.getEvent().getId(), k -> new ArrayList<>()).add(t));
    List<String> projectIds =
        byEvent.values().stream()
            .flatMap(List::stream)
            .map(EventTargetEntity::getEntityProjectId)
            .filter(Objects::nonNull)
            .distinct()
            .toList();
    Map<String, ProjectEntity> projects = new LinkedHashMap<>();
    if (!projectIds.isEmpty()) {
      em.createQuery("SELECT p FROM ProjectEntity p WHERE p.id IN :ids", ProjectEntity.class)
          .setParameter("ids", projectIds)
          .getResultList()
          .forEach(p -> projects.put(p.getId(), p));
    }
    List<Listed> listed = new ArrayList<>();
    for (EventEntity event : events) {
      List<ListedTarget> targets = new ArrayList<>();
      for (EventTargetEntity target : byEvent.getOrDefault(event.getId(), List.of())) {
        ProjectEntity project =
            target.getEntityProjectId() == null ? null : projects.get(target.getEntityProjectId());
        targets.add(
            project == null
                ? new ListedTarget(target, null, null)
                : new ListedTarget(target, displayName(project), project.isDeleted()));
      }
      listed.add(new Listed(event, targets));
    }
    return listed;
  }

  /** A deleted project is shown under the name it had. */
  private static String displayName(ProjectEntity project) {
    return project.isDeleted() && project.getOriginalName() != null
        ? project.getOriginalName()
        : project.getName();
  }

  /** Retention: events recorded longer than the TTL ago go, with their targets. */
  public int deleteExpired() {
    Duration ttl = server.settings().runs().eventsTtl();
    return server.database().tx(em -> deleteRecordedBefore(em, Times.now().minus(ttl)));
  }

  static int deleteRecordedBefore(EntityManager em, Instant cutoff) {
    // event_targets follow through ON DELETE CASCADE
    return em.createNativeQuery("DELETE FROM events WHERE recorded_at < ?1")
        .setParameter(1, InstantText.format(cutoff))
        .executeUpdate();
  }
}
