package ai.dstack.server.instances.control;

import ai.dstack.server.ServerContext;
import ai.dstack.server.api.ApiException;
import ai.dstack.server.fleets.control.FleetSpecs;
import ai.dstack.server.instances.entity.InstanceEntity;
import ai.dstack.server.instances.entity.InstanceStatus;
import ai.dstack.server.projects.entity.ProjectEntity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;

/** Reading instances for the API; the instance pipeline changes them. */
@ApplicationScoped
public class Instances {
  @Inject private ServerContext server;

  /**
   * How to reach the instance's host ({@code remote_connection_info}: host, port, user, keys,
   * proxy, fleet env); null when there is none or no configured key decrypts it.
   */
  public static Map<String, Object> connection(InstanceEntity instance) {
    if (instance == null
        || instance.getRemoteConnectionInfo() == null
        || !instance.getRemoteConnectionInfo().readable()) {
      return null;
    }
    return FleetSpecs.parse(instance.getRemoteConnectionInfo().plaintext());
  }

  /** Non-deleted instances of the given projects (and fleets), newest first. */
  public List<InstanceEntity> list(
      List<String> projectIds, List<String> fleetIds, boolean onlyActive, int limit) {
    if (projectIds.isEmpty()) {
      return List.of();
    }
    return server
        .database()
        .read(
            em -> {
              var query =
                  em.createQuery(
                          "SELECT i FROM InstanceEntity i WHERE i.projectId IN :projects"
                              + " AND i.deleted = false"
                              + (fleetIds == null ? "" : " AND i.fleetId IN :fleets")
                              + (onlyActive ? " AND i.status NOT IN :finished" : "")
                              + " ORDER BY i.createdAt DESC, i.id DESC",
                          InstanceEntity.class)
                      .setParameter("projects", projectIds)
                      .setMaxResults(limit);
              if (fleetIds != null) {
                query.setParameter("fleets", fleetIds);
              }
              if (onlyActive) {
                query.setParameter(
                    "finished", List.of(InstanceStatus.TERMINATING, InstanceStatus.TERMINATED));
              }
              return query.getResultList();
            });
  }

  public InstanceEntity get(ProjectEntity project, String id) {
    InstanceEntity instance = server.database().read(em -> em.find(InstanceEntity.class, id));
    if (instance == null || !instance.getProjectId().equals(project.getId())) {
      throw ApiException.resourceNotExists();
    }
    return instance;
  }
}
