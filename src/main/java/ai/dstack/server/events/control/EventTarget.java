package ai.dstack.server.events.control;

import ai.dstack.server.fleets.entity.FleetEntity;
import ai.dstack.server.instances.entity.InstanceEntity;
import ai.dstack.server.projects.entity.ProjectEntity;
import ai.dstack.server.secrets.entity.SecretEntity;
import ai.dstack.server.users.entity.UserEntity;
import java.util.Objects;

/**
 * An entity an event is about, with upstream's invariants: users belong to no project, everything
 * else to one; run and job targets know their run, fleet targets their fleet, instance targets
 * their fleet when they have one (these feed the {@code within_*} filters).
 *
 * @param type lower-case {@link EventTargetType} value ({@code project}, {@code user}, ...)
 */
public record EventTarget(
    String type, String id, String name, String projectId, String runId, String fleetId) {

  public EventTarget {
    EventTargetType known = EventTargetType.of(type);
    if (known == null) {
      throw new IllegalArgumentException("Unknown event target type " + type);
    }
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    if ((known == EventTargetType.USER) != (projectId == null)) {
      throw new IllegalArgumentException(
          known == EventTargetType.USER
              ? "User target cannot have project_id"
              : type + " target must have project_id");
    }
    if (known == EventTargetType.PROJECT && !id.equals(projectId)) {
      throw new IllegalArgumentException("Project target id must be equal to project_id");
    }
    if ((known == EventTargetType.RUN || known == EventTargetType.JOB) && runId == null) {
      throw new IllegalArgumentException(type + " target must have run_id");
    }
    if (known == EventTargetType.RUN && !id.equals(runId)) {
      throw new IllegalArgumentException("Run target id must be equal to run_id");
    }
    if (known == EventTargetType.FLEET && !id.equals(fleetId)) {
      throw new IllegalArgumentException("Fleet target id must be equal to fleet_id");
    }
  }

  /** A target whose run and fleet ids follow from its type (a run is its own run, ...). */
  public EventTarget(String type, String id, String name, String projectId) {
    this(
        type,
        id,
        name,
        projectId,
        EventTargetType.RUN.wire().equals(type) ? id : null,
        EventTargetType.FLEET.wire().equals(type) ? id : null);
  }

  public static EventTarget project(ProjectEntity project) {
    return new EventTarget("project", project.getId(), project.getName(), project.getId());
  }

  /** Build it before a deleted user is renamed: the event keeps the name it had. */
  public static EventTarget user(UserEntity user) {
    return new EventTarget("user", user.getId(), user.getName(), null);
  }

  public static EventTarget fleet(FleetEntity fleet) {
    return new EventTarget("fleet", fleet.getId(), fleet.getName(), fleet.getProjectId());
  }

  public static EventTarget instance(InstanceEntity instance) {
    return new EventTarget(
        "instance",
        instance.getId(),
        instance.getName(),
        instance.getProjectId(),
        null,
        instance.getFleetId());
  }

  public static EventTarget secret(SecretEntity secret) {
    return new EventTarget("secret", secret.getId(), secret.getName(), secret.getProjectId());
  }

  public static EventTarget run(String runId, String runName, String projectId) {
    return new EventTarget("run", runId, runName, projectId, runId, null);
  }

  public static EventTarget job(String jobId, String jobName, String projectId, String runId) {
    return new EventTarget("job", jobId, jobName, projectId, runId, null);
  }

  /** As upstream's logs show a target: {@code type(abcdef)name}. */
  String fmt() {
    return type + "(" + id.replace("-", "").substring(0, Math.min(6, id.length())) + ")" + name;
  }
}
