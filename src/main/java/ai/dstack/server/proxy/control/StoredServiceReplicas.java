package ai.dstack.server.proxy.control;

import ai.dstack.server.ServerContext;
import ai.dstack.server.fleets.control.FleetSpecs;
import ai.dstack.server.instances.control.InstancePipeline;
import ai.dstack.server.instances.control.Instances;
import ai.dstack.server.instances.entity.InstanceEntity;
import ai.dstack.server.projects.control.Projects;
import ai.dstack.server.projects.entity.ProjectEntity;
import ai.dstack.server.runs.control.Probes;
import ai.dstack.server.runs.control.RunSpecs;
import ai.dstack.server.runs.entity.JobEntity;
import ai.dstack.server.runs.entity.JobStatus;
import ai.dstack.server.runs.entity.RunEntity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Service replicas as the runs and jobs rows have them. As upstream's in-server proxy: a replica
 * takes requests while its first job (job number 0) is running and its probes say it is ready,
 * whatever deployment it belongs to, so replicas of the previous deployment keep serving during a
 * rolling update.
 */
@ApplicationScoped
public class StoredServiceReplicas implements ServiceReplicas {
  @Inject private ServerContext server;
  @Inject private Projects projects;

  @Override
  public Service find(String projectName, String runName) {
    return server.database().read(em -> find(em, projectName, runName));
  }

  private Service find(EntityManager em, String projectName, String runName) {
    ProjectEntity project = projects.findByName(em, projectName);
    if (project == null) {
      return null;
    }
    RunEntity run =
        em.createQuery(
                "SELECT r FROM RunEntity r WHERE r.projectId = :project AND r.runName = :name"
                    + " AND r.deleted = FALSE ORDER BY r.submittedAt DESC",
                RunEntity.class)
            .setParameter("project", project.getId())
            .setParameter("name", runName)
            .setMaxResults(1)
            .getResultStream()
            .findFirst()
            .orElse(null);
    if (run == null) {
      return null;
    }
    Map<String, Object> configuration = RunSpecs.configuration(RunSpecs.parse(run.getRunSpec()));
    if (!"service".equals(configuration.get("type"))) {
      return null;
    }
    List<JobEntity> jobs =
        em.createQuery(
                "SELECT j FROM JobEntity j WHERE j.runId = :run AND j.jobNum = 0"
                    + " AND j.status = :running ORDER BY j.replicaNum, j.submissionNum",
                JobEntity.class)
            .setParameter("run", run.getId())
            .setParameter("running", JobStatus.RUNNING)
            .getResultList();
    Map<String, List<Long>> streaks =
        Probes.streaks(em, jobs.stream().map(JobEntity::getId).toList());
    List<Replica> replicas = new ArrayList<>();
    for (JobEntity job : jobs) {
      if (!Probes.ready(job, streaks.get(job.getId()))) {
        continue;
      }
      Replica replica = replica(em, job);
      if (replica != null) {
        replicas.add(replica);
      }
    }
    return new Service(
        run.getId(),
        !Boolean.FALSE.equals(configuration.get("auth")),
        !Boolean.FALSE.equals(configuration.get("strip_prefix")),
        replicas);
  }

  /** Null while the job has no host it can be reached on or no service port. */
  private static Replica replica(EntityManager em, JobEntity job) {
    if (job.getInstanceId() == null
        || !(FleetSpecs.parse(job.getJobSpecData()).get("service_port") instanceof Number port)) {
      return null;
    }
    InstanceEntity instance = em.find(InstanceEntity.class, job.getInstanceId());
    Map<String, Object> connection = Instances.connection(instance);
    if (connection == null) {
      return null;
    }
    return new Replica(job.getId(), InstancePipeline.target(connection), port.intValue());
  }
}
