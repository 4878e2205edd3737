package ai.dstack.server.fleets.control;

import ai.dstack.server.ServerContext;
import ai.dstack.server.api.ApiException;
import ai.dstack.server.events.control.EventTarget;
import ai.dstack.server.events.control.Events;
import ai.dstack.server.fleets.entity.FleetEntity;
import ai.dstack.server.fleets.entity.FleetStatus;
import ai.dstack.server.instances.control.InstanceEvents;
import ai.dstack.server.instances.entity.InstanceEntity;
import ai.dstack.server.instances.entity.InstanceStatus;
import ai.dstack.server.projects.control.ProjectAccess;
import ai.dstack.server.projects.control.Projects;
import ai.dstack.server.projects.entity.ProjectEntity;
import ai.dstack.server.users.entity.UserEntity;
import ai.dstack.server.workers.Workers;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonObject;
import jakarta.persistence.EntityManager;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * Fleets of a project (API.md §2.5, §4.4): plans, create and in-place update of SSH fleets, delete.
 * Instances are created here as {@code pending}; the instance pipeline deploys the hosts.
 */
@ApplicationScoped
public class Fleets {
  private static final Logger LOG = Logger.getLogger(Fleets.class.getName());
  public static final String INSTANCE_PIPELINE = "instances";
  public static final String FLEET_PIPELINE = "fleets";

  @Inject private ServerContext server;
  @Inject private Projects projects;
  @Inject private Workers workers;
  @Inject private Events events;

  /** What {@code get_plan} answers. */
  public record Plan(
      Map<String, Object> spec,
      Map<String, Object> effectiveSpec,
      FleetEntity current,
      String action) {}

  /** {@code get_plan}: the spec checked, the fleet it would change, and how. */
  public Plan plan(ProjectEntity project, Map<String, Object> spec) {
    FleetSpecs.Checked checked = FleetSpecs.check(spec);
    FleetEntity current =
        checked.name() == null
            ? null
            : server.database().read(em -> findActive(em, project, checked.name()));
    String action =
        current != null && checked.ssh() && FleetSpecs.isSsh(FleetSpecs.parse(current.getSpec()))
            ? "update"
            : "create";
    Map<String, Object> effective = FleetSpecs.copy(spec);
    return new Plan(spec, effective, current, action);
  }

  /**
   * {@code fleets/apply}: a new fleet, or the same SSH fleet updated in place: hosts added become
   * new instances, hosts removed are terminated (refused while busy), the others are untouched.
   */
  public FleetEntity apply(
      UserEntity caller,
      ProjectEntity project,
      Map<String, Object> spec,
      JsonObject currentResource,
      boolean force) {
    FleetSpecs.Checked checked = FleetSpecs.check(spec);
    requireSshPermission(caller, project, checked.ssh());
    FleetEntity fleet =
        server
            .database()
            .tx(
                em -> {
                  FleetEntity existing =
                      checked.name() == null ? null : findActive(em, project, checked.name());
                  if (existing == null) {
                    return create(em, caller, project, checked);
                  }
                  if (!force && !sameResource(existing, currentResource)) {
                    throw ApiException.error(
                        "Failed to apply plan. Resource has been changed. Try again or use force"
                            + " apply.");
                  }
                  if (!checked.ssh() || !FleetSpecs.isSsh(FleetSpecs.parse(existing.getSpec()))) {
                    throw ApiException.error(
                        "Fleet " + existing.getName() + " already exists. Delete it first.");
                  }
                  update(em, caller, project, existing, checked);
                  return existing;
                });
    workers.hint(INSTANCE_PIPELINE);
    return fleet;
  }

  /** The deprecated {@code fleets/create}: create only. */
  public FleetEntity create(UserEntity caller, ProjectEntity project, Map<String, Object> spec) {
    FleetSpecs.Checked checked = FleetSpecs.check(spec);
    requireSshPermission(caller, project, checked.ssh());
    FleetEntity fleet =
        server
            .database()
            .tx(
                em -> {
                  if (checked.name() != null && findActive(em, project, checked.name()) != null) {
                    throw ApiException.resourceExists();
                  }
                  return create(em, caller, project, checked);
                });
    workers.hint(INSTANCE_PIPELINE);
    return fleet;
  }

  private FleetEntity create(
      EntityManager em, UserEntity caller, ProjectEntity project, FleetSpecs.Checked checked) {
    String name = checked.name() != null ? checked.name() : freeName(em, project);
    requireHostsFree(em, project, checked.hosts(), null);
    Instant now = Instant.now();
    FleetEntity fleet =
        new FleetEntity(
            UUID.randomUUID().toString(),
            project.getId(),
            name,
            FleetSpecs.stored(checked.spec(), name),
            now);
    em.persist(fleet);
    events.record(
        em,
        "Fleet created. Status: " + fleet.getStatus().name(),
        caller.getId(),
        EventTarget.fleet(fleet));
    int num = 0;
    for (FleetSpecs.Host host : checked.hosts()) {
      InstanceEntity instance = newInstance(project, fleet, host, num++, now);
      em.persist(instance);
      instanceCreated(em, caller, instance, "fleet submission");
    }
    LOG.info(
        "Fleet "
            + name
            + " created in project "
            + project.getName()
            + " with "
            + checked.hosts().size()
            + " host(s)");
    return fleet;
  }

  private void update(
      EntityManager em,
      UserEntity caller,
      ProjectEntity project,
      FleetEntity fleet,
      FleetSpecs.Checked checked) {
    List<InstanceEntity> instances = activeInstances(em, fleet);
    Map<String, InstanceEntity> byHost = new LinkedHashMap<>();
    instances.forEach(i -> byHost.put(i.getHostname(), i));
    Set<String> wanted =
        checked.hosts().stream()
            .map(FleetSpecs.Host::hostname)
            .collect(Collectors.toCollection(LinkedHashSet::new));
    List<String> busy = new ArrayList<>();
    for (InstanceEntity instance : instances) {
      if (!wanted.contains(instance.getHostname()) && instance.getStatus() == InstanceStatus.BUSY) {
        busy.add(instance.getHostname());
      }
    }
    if (!busy.isEmpty()) {
      throw ApiException.error("Cannot remove busy instances: " + String.join(", ", busy));
    }
    List<FleetSpecs.Host> added =
        checked.hosts().stream().filter(h -> !byHost.containsKey(h.hostname())).toList();
    requireHostsFree(em, project, added, fleet.getId());
    Instant now = Instant.now();
    for (InstanceEntity instance : instances) {
      if (!wanted.contains(instance.getHostname())) {
        terminateByUser(em, caller, instance, "Removed from the fleet");
      }
    }
    int next = nextInstanceNum(em, fleet);
    for (FleetSpecs.Host host : added) {
      InstanceEntity instance = newInstance(project, fleet, host, next++, now);
      em.persist(instance);
      instanceCreated(em, caller, instance, "fleet update");
    }
    fleet.setSpec(FleetSpecs.stored(checked.spec(), fleet.getName()));
    LOG.info(
        "Fleet "
            + fleet.getName()
            + " updated: "
            + added.size()
            + " host(s) added, "
            + instances.stream().filter(i -> !wanted.contains(i.getHostname())).count()
            + " removed");
  }

  private void instanceCreated(
      EntityManager em, UserEntity caller, InstanceEntity instance, String on) {
    events.record(
        em,
        "Instance created on " + on + ". Status: " + instance.getStatus().name(),
        caller.getId(),
        EventTarget.instance(instance));
  }

  private void terminateByUser(
      EntityManager em, UserEntity caller, InstanceEntity instance, String message) {
    InstanceStatus old = instance.getStatus();
    instance.setTermination("terminated_by_user", message);
    instance.setStatus(InstanceStatus.TERMINATING);
    InstanceEvents.statusChanged(events, em, instance, old, caller.getId());
  }

  private static InstanceEntity newInstance(
      ProjectEntity project, FleetEntity fleet, FleetSpecs.Host host, int num, Instant now) {
    return new InstanceEntity(
        UUID.randomUUID().toString(),
        project.getId(),
        fleet.getId(),
        fleet.getName() + "-" + num,
        num,
        host.hostname(),
        host.connectionInfo(),
        now);
  }

  private static boolean sameResource(FleetEntity existing, JsonObject current) {
    if (current == null) {
      return false;
    }
    return existing.getId().equals(current.getString("id", null));
  }

  private void requireSshPermission(UserEntity caller, ProjectEntity project, boolean ssh) {
    if (ssh && !server.defaultPermissions().allowNonAdminsManageSshFleets()) {
      projects.access(caller, project.getName(), ProjectAccess.ADMIN);
    }
  }

  private static void requireHostsFree(
      EntityManager em, ProjectEntity project, List<FleetSpecs.Host> hosts, String ownFleetId) {
    if (hosts.isEmpty()) {
      return;
    }
    List<String> names = hosts.stream().map(FleetSpecs.Host::hostname).toList();
    var query =
        em.createQuery(
                "SELECT i.hostname FROM InstanceEntity i WHERE i.projectId = :project"
                    + " AND i.deleted = false AND i.hostname IN :names AND i.status <> :terminated"
                    + (ownFleetId == null ? "" : " AND i.fleetId <> :own"),
                String.class)
            .setParameter("project", project.getId())
            .setParameter("names", names)
            .setParameter("terminated", InstanceStatus.TERMINATED);
    if (ownFleetId != null) {
      query.setParameter("own", ownFleetId);
    }
    List<String> taken = query.getResultList();
    if (!taken.isEmpty()) {
      throw ApiException.error(
          "Instances ["
              + String.join(", ", new LinkedHashSet<>(taken))
              + "] are already assigned to a fleet.");
    }
  }

  public FleetEntity get(ProjectEntity project, String name, String id) {
    FleetEntity fleet =
        server
            .database()
            .read(
                em -> {
                  if (id != null) {
                    FleetEntity byId = em.find(FleetEntity.class, id);
                    return byId != null && byId.getProjectId().equals(project.getId())
                        ? byId
                        : null;
                  }
                  return findActive(em, project, name);
                });
    if (fleet == null) {
      throw ApiException.resourceNotExists();
    }
    return fleet;
  }

  public List<FleetEntity> list(ProjectEntity project) {
    return server
        .database()
        .read(
            em ->
                em.createQuery(
                        "SELECT f FROM FleetEntity f WHERE f.projectId = :project AND f.deleted = false"
                            + " ORDER BY f.createdAt DESC",
                        FleetEntity.class)
                    .setParameter("project", project.getId())
                    .getResultList());
  }

  /** {@code /api/fleets/list}: fleets of the projects the caller can see, newest first. */
  public List<FleetEntity> listVisible(
      UserEntity caller, String projectName, boolean onlyActive, int limit) {
    List<String> projectIds =
        projects.listVisible(caller).stream()
            .filter(p -> projectName == null || p.getName().equals(projectName))
            .map(ProjectEntity::getId)
            .toList();
    if (projectIds.isEmpty()) {
      return List.of();
    }
    return server
        .database()
        .read(
            em -> {
              var query =
                  em.createQuery(
                          "SELECT f FROM FleetEntity f WHERE f.projectId IN :projects"
                              + " AND f.deleted = false"
                              + (onlyActive ? " AND f.status = :active" : "")
                              + " ORDER BY f.createdAt DESC, f.id DESC",
                          FleetEntity.class)
                      .setParameter("projects", projectIds)
                      .setMaxResults(limit);
              if (onlyActive) {
                query.setParameter("active", FleetStatus.ACTIVE);
              }
              return query.getResultList();
            });
  }

  /** Non-deleted instances of fleets, by fleet id, sorted by instance number. */
  public Map<String, List<InstanceEntity>> instancesOf(List<FleetEntity> fleets) {
    if (fleets.isEmpty()) {
      return Map.of();
    }
    List<String> ids = fleets.stream().map(FleetEntity::getId).toList();
    List<InstanceEntity> instances =
        server
            .database()
            .read(
                em ->
                    em.createQuery(
                            "SELECT i FROM InstanceEntity i WHERE i.fleetId IN :fleets"
                                + " AND i.deleted = false ORDER BY i.instanceNum",
                            InstanceEntity.class)
                        .setParameter("fleets", ids)
                        .getResultList());
    Map<String, List<InstanceEntity>> byFleet = new LinkedHashMap<>();
    ids.forEach(id -> byFleet.put(id, new ArrayList<>()));
    instances.forEach(i -> byFleet.get(i.getFleetId()).add(i));
    return byFleet;
  }

  /** Fleet names by id (deleted fleets included: an instance keeps its fleet's name). */
  public Map<String, String> names(List<String> fleetIds) {
    List<String> ids = fleetIds.stream().filter(java.util.Objects::nonNull).distinct().toList();
    if (ids.isEmpty()) {
      return Map.of();
    }
    Map<String, String> names = new LinkedHashMap<>();
    server
        .database()
        .read(
            em ->
                em.createQuery("SELECT f FROM FleetEntity f WHERE f.id IN :ids", FleetEntity.class)
                    .setParameter("ids", ids)
                    .getResultList())
        .forEach(f -> names.put(f.getId(), f.getName()));
    return names;
  }

  /** {@code fleets/delete}: fleets and their instances go {@code terminating}. */
  public void delete(UserEntity caller, ProjectEntity project, List<String> names) {
    server
        .database()
        .txRun(
            em -> {
              List<FleetEntity> fleets = new ArrayList<>();
              for (String name : names) {
                FleetEntity fleet = findActive(em, project, name);
                if (fleet == null) {
                  throw ApiException.resourceNotExists("Fleet " + name + " does not exist");
                }
                fleets.add(fleet);
              }
              for (FleetEntity fleet : fleets) {
                if (FleetSpecs.isSsh(FleetSpecs.parse(fleet.getSpec()))) {
                  requireSshPermission(caller, project, true);
                }
                for (InstanceEntity instance : activeInstances(em, fleet)) {
                  if (instance.getStatus() == InstanceStatus.BUSY) {
                    throw ApiException.error(
                        "Failed to delete fleet " + fleet.getName() + ": fleet is in use");
                  }
                }
              }
              for (FleetEntity fleet : fleets) {
                for (InstanceEntity instance : activeInstances(em, fleet)) {
                  terminateByUser(em, caller, instance, null);
                }
                FleetStatus old = fleet.getStatus();
                fleet.setStatus(FleetStatus.TERMINATING);
                fleetStatusChanged(events, em, fleet, old, caller.getId());
                LOG.info(
                    "Fleet " + fleet.getName() + " of project " + project.getName() + " deleted");
              }
            });
    workers.hint(INSTANCE_PIPELINE);
    workers.hint(FLEET_PIPELINE);
  }

  /** {@code fleets/delete_instances}: the numbered instances go {@code terminating}. */
  public void deleteInstances(
      UserEntity caller, ProjectEntity project, String name, List<Long> instanceNums) {
    server
        .database()
        .txRun(
            em -> {
              FleetEntity fleet = findActive(em, project, name);
              if (fleet == null) {
                throw ApiException.resourceNotExists("Fleet " + name + " does not exist");
              }
              if (FleetSpecs.isSsh(FleetSpecs.parse(fleet.getSpec()))) {
                requireSshPermission(caller, project, true);
              }
              List<InstanceEntity> chosen = new ArrayList<>();
              for (InstanceEntity instance : activeInstances(em, fleet)) {
                if (instanceNums.contains((long) instance.getInstanceNum())) {
                  if (instance.getStatus() == InstanceStatus.BUSY) {
                    throw ApiException.error(
                        "Failed to delete instance " + instance.getName() + ": instance is busy");
                  }
                  chosen.add(instance);
                }
              }
              for (InstanceEntity instance : chosen) {
                terminateByUser(em, caller, instance, null);
              }
            });
    workers.hint(INSTANCE_PIPELINE);
  }

  /** "Fleet status changed OLD -> NEW (status message)", if it did; actor null = system. */
  static void fleetStatusChanged(
      Events events, EntityManager em, FleetEntity fleet, FleetStatus old, String actorUserId) {
    if (old == fleet.getStatus()) {
      return;
    }
    String message = "Fleet status changed " + old.name() + " -> " + fleet.getStatus().name();
    if (fleet.getStatusMessage() != null) {
      message += " (" + fleet.getStatusMessage() + ")";
    }
    events.record(em, message, actorUserId, EventTarget.fleet(fleet));
  }

  static FleetEntity findActive(EntityManager em, ProjectEntity project, String name) {
    return em.createQuery(
            "SELECT f FROM FleetEntity f WHERE f.projectId = :project AND f.name = :name"
                + " AND f.deleted = false",
            FleetEntity.class)
        .setParameter("project", project.getId())
        .setParameter("name", name)
        .getResultStream()
        .findFirst()
        .orElse(null);
  }

  static List<InstanceEntity> activeInstances(EntityManager em, FleetEntity fleet) {
    return em.createQuery(
            "SELECT i FROM InstanceEntity i WHERE i.fleetId = :fleet AND i.deleted = false"
                + " AND i.status <> :terminating AND i.status <> :terminated ORDER BY i.instanceNum",
            InstanceEntity.class)
        .setParameter("fleet", fleet.getId())
        .setParameter("terminating", InstanceStatus.TERMINATING)
        .setParameter("terminated", InstanceStatus.TERMINATED)
        .getResultList();
  }

  private static int nextInstanceNum(EntityManager em, FleetEntity fleet) {
    Integer max =
        em.createQuery(
                "SELECT MAX(i.instanceNum) FROM InstanceEntity i WHERE i.fleetId = :fleet",
                Integer.class)
            .setParameter("fleet", fleet.getId())
            .getSingleResult();
    return max == null ? 0 : max + 1;
  }

  private static String freeName(EntityManager em, ProjectEntity project) {
    while (true) {
      String name = ResourceNames.generate();
      if (findActive(em, project, name) == null) {
        return name;
      }
    }
  }
}
