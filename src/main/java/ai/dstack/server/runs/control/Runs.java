package ai.dstack.server.runs.control;

import ai.dstack.server.ServerContext;
import ai.dstack.server.api.ApiException;
import ai.dstack.server.api.JsonText;
import ai.dstack.server.db.Keyset;
import ai.dstack.server.db.Times;
import ai.dstack.server.fleets.control.ResourceNames;
import ai.dstack.server.fleets.entity.FleetEntity;
import ai.dstack.server.fleets.entity.FleetStatus;
import ai.dstack.server.instances.entity.InstanceEntity;
import ai.dstack.server.instances.entity.InstanceStatus;
import ai.dstack.server.projects.control.Projects;
import ai.dstack.server.projects.entity.ProjectEntity;
import ai.dstack.server.repos.control.Repos;
import ai.dstack.server.repos.entity.RepoEntity;
import ai.dstack.server.runs.entity.JobEntity;
import ai.dstack.server.runs.entity.RunEntity;
import ai.dstack.server.runs.entity.RunStatus;
import ai.dstack.server.users.entity.UserEntity;
import ai.dstack.server.workers.Workers;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.persistence.EntityManager;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * Runs of a project (API.md §2.7, §4.1): plans with offers from the project's fleets, submission (a
 * run row and one job row per node), stop, delete, reads. Everything after submission happens in
 * the run and job pipelines.
 */
@ApplicationScoped
public class Runs {
  private static final Logger LOG = Logger.getLogger(Runs.class.getName());
  public static final String RUN_PIPELINE = "runs";
  public static final String JOBS_SUBMITTED_PIPELINE = "jobs_submitted";
  public static final String JOBS_RUNNING_PIPELINE = "jobs_running";
  public static final String JOBS_TERMINATING_PIPELINE = "jobs_terminating";
  static final String NO_FLEETS_MESSAGE =
      "No matching fleet found. Possible reasons:"
          + " https://dstack.ai/docs/guides/troubleshooting/#no-fleets";
  private static final int DEFAULT_MAX_OFFERS = 50;

  @Inject private ServerContext server;
  @Inject private Projects projects;
  @Inject private Workers workers;
  @Inject private Repos repos;
  @Inject private RunEvents events;

  /** A run as its transaction left it, with its job rows: what apply and submit answer. */
  public record Applied(RunEntity run, List<JobEntity> jobs) {}

  /** A job of a plan: its spec and the offers that could take it. */
  public record JobPlan(Map<String, Object> jobSpec, List<Offers.Offer> offers, int totalOffers) {}

  public record Plan(
      Map<String, Object> spec,
      Map<String, Object> effectiveSpec,
      List<JobPlan> jobPlans,
      RunEntity current,
      String action) {}

  /** {@code get_plan}: the effective spec, job specs with offers, the run it would replace. */
  public Plan plan(
      UserEntity caller, ProjectEntity project, Map<String, Object> spec, Integer maxOffers) {
    Map<String, Object> effective = RunSpecs.effective(spec, caller.getSshPublicKey());
    String name = (String) spec.get("run_name");
    int shown = maxOffers == null ? DEFAULT_MAX_OFFERS : maxOffers;
    return server
        .database()
        .read(
            em -> {
              RunEntity current = name == null ? null : findByName(em, project, name);
              List<InstanceEntity> instances =
                  candidateInstances(em, allowedFleets(em, project.getId(), effective));
              List<JobPlan> jobPlans = new ArrayList<>();
              for (Map<String, Object> jobSpec : JobSpecs.forReplica(effective, name, 0)) {
                @SuppressWarnings("unchecked")
                List<Offers.Offer> offers =
                    Offers.match(instances, (Map<String, Object>) jobSpec.get("requirements"));
                jobPlans.add(
                    new JobPlan(
                        jobSpec, offers.subList(0, Math.min(shown, offers.size())), offers.size()));
              }
              String action =
                  current != null
                          && !current.getStatus().finished()
                          && RunSpecs.updatableInPlace(
                              RunSpecs.parse(current.getRunSpec()), effective)
                      ? "update"
                      : "create";
              return new Plan(spec, effective, jobPlans, current, action);
            });
  }

  /** The offers the project's fleets make to the first job of a run spec (gpus/list). */
  @SuppressWarnings("unchecked")
  public List<Offers.Offer> offers(
      UserEntity caller, ProjectEntity project, Map<String, Object> spec) {
    Map<String, Object> effective = RunSpecs.effective(spec, caller.getSshPublicKey());
    Map<String, Object> jobSpec = JobSpecs.forReplica(effective, null, 0).get(0);
    return server
        .database()
        .read(
            em ->
                Offers.match(
                    candidateInstances(em, allowedFleets(em, project.getId(), effective)),
                    (Map<String, Object>) jobSpec.get("requirements")));
  }

  /**
   * {@code runs/apply}: a new submission unless an active run of that name exists; then the plan
   * must have been made against it (or {@code force}) and only in-place fields may change.
   */
  public Applied apply(
      UserEntity caller,
      ProjectEntity project,
      Map<String, Object> spec,
      JsonObject currentResource,
      boolean force) {
    Map<String, Object> effective = RunSpecs.effective(spec, caller.getSshPublicKey());
    String name = (String) effective.get("run_name");
    Applied run =
        server
            .database()
            .tx(
                em -> {
                  lockNames(em, project);
                  RunEntity existing = name == null ? null : findByName(em, project, name);
                  if (existing != null && !existing.getStatus().finished()) {
                    if (!force && !sameResource(existing, currentResource)) {
                      throw ApiException.error(
                          "Failed to apply plan. Resource has been changed. Try again or use force"
                              + " apply.");
                    }
                    if (!RunSpecs.updatableInPlace(
                        RunSpecs.parse(existing.getRunSpec()), effective)) {
                      throw ApiException.error("Cannot override active run. Stop the run first.");
                    }
                    updateInPlace(existing, effective);
                    return new Applied(existing, jobsOf(em, List.of(existing.getId())));
                  }
                  return submit(em, caller, project, effective, existing);
                });
    workers.hint(JOBS_SUBMITTED_PIPELINE);
    workers.hint(RUN_PIPELINE);
    return run;
  }

  /** The deprecated {@code runs/submit}: a new run, refused if an active one has the name. */
  public Applied submit(UserEntity caller, ProjectEntity project, Map<String, Object> spec) {
    Map<String, Object> effective = RunSpecs.effective(spec, caller.getSshPublicKey());
    String name = (String) effective.get("run_name");
    Applied run =
        server
            .database()
            .tx(
                em -> {
                  lockNames(em, project);
                  RunEntity existing = name == null ? null : findByName(em, project, name);
                  if (existing != null && !existing.getStatus().finished()) {
                    throw ApiException.resourceExists();
                  }
                  return submit(em, caller, project, effective, existing);
                });
    workers.hint(JOBS_SUBMITTED_PIPELINE);
    workers.hint(RUN_PIPELINE);
    return run;
  }

  private Applied submit(
      EntityManager em,
      UserEntity caller,
      ProjectEntity project,
      Map<String, Object> effective,
      RunEntity finishedWithSameName) {
    String repoRowId = repoRowId(em, project, (String) effective.get("repo_id"));
    if (finishedWithSameName != null) {
      finishedWithSameName.setDeleted(true);
    }
    String name = (String) effective.get("run_name");
    if (name == null) {
      name = freeName(em, project);
      effective.put("run_name", name);
    }
    Instant now = Times.now();
    Map<String, Object> configuration = RunSpecs.configuration(effective);
    RunEntity run =
        new RunEntity(
            UUID.randomUUID().toString(),
            project.getId(),
            caller.getId(),
            repoRowId,
            name,
            JsonText.write(effective),
            ((Number) configuration.get("priority")).intValue(),
            now);
    Instant trigger = Schedules.next(effective, now);
    if (trigger != null) {
      // a scheduled run waits without jobs until its first trigger (RunPipeline)
      run.setStatus(RunStatus.PENDING);
      run.setNextTriggeredAt(trigger);
      em.persist(run);
      events.submitted(em, run, List.of(), caller.getId());
      return new Applied(run, List.of());
    }
    em.persist(run);
    // no JPA relationship orders the inserts: the run row must exist before its jobs reference it
    em.flush();
    List<JobEntity> jobs = new ArrayList<>();
    int replicas = ServiceSpecs.isService(effective) ? ServiceSpecs.replicas(effective).min() : 1;
    for (int replica = 0; replica < replicas; replica++) {
      for (Map<String, Object> jobSpec : JobSpecs.forReplica(effective, name, replica)) {
        JobEntity job =
            new JobEntity(
                UUID.randomUUID().toString(),
                project.getId(),
                run.getId(),
                name,
                replica,
                ((Number) jobSpec.get("job_num")).intValue(),
                (String) jobSpec.get("job_name"),
                0,
                0,
                JsonText.write(jobSpec),
                now);
        Handover.job(em, job);
        em.persist(job);
        jobs.add(job);
      }
    }
    events.submitted(em, run, jobs, caller.getId());
    return new Applied(run, jobs);
  }

  private static void updateInPlace(RunEntity run, Map<String, Object> effective) {
    effective.put("run_name", run.getRunName());
    if (ServiceSpecs.isService(effective)
        && ServiceSpecs.redeploys(RunSpecs.parse(run.getRunSpec()), effective)) {
      // the run pipeline replaces the replicas of the previous deployment one by one
      run.setDeploymentNum(run.getDeploymentNum() + 1);
      Handover.run(run);
    }
    run.setRunSpec(JsonText.write(effective));
    run.setPriority(((Number) RunSpecs.configuration(effective).get("priority")).intValue());
    LOG.info("Run " + run.getRunName() + " updated in place");
  }

  /** The echoed {@code current_resource} names the run as it is now (id and spec). */
  private static boolean sameResource(RunEntity run, JsonObject current) {
    if (current == null || !(current.get("id") instanceof JsonString id)) {
      return false;
    }
    if (!id.getString().equals(run.getId())) {
      return false;
    }
    Map<String, Object> stored = RunSpecs.parse(run.getRunSpec());
    Map<String, Object> echoed;
    try {
      echoed = RunSpecs.read(current.get("run_spec"), List.of("body", "plan", "current_resource"));
    } catch (ApiException e) {
      return false;
    }
    return RunSpecs.updatableInPlace(stored, echoed)
        && RunSpecs.configuration(stored).equals(RunSpecs.configuration(echoed));
  }

  /** Name generation and the same-name check are serialized per project (other replicas too). */
  private void lockNames(EntityManager em, ProjectEntity project) {
    server.database().advisoryXactLock(em, "run_names_" + project.getId());
  }

  /** Upstream's run names: {@code <adjective>-<animal>-<n>}, the first {@code n} from 1 free. */
  private static String freeName(EntityManager em, ProjectEntity project) {
    String base = ResourceNames.generateBase();
    for (int n = 1; ; n++) {
      String name = base + "-" + n;
      if (findByName(em, project, name) == null) {
        return name;
      }
    }
  }

  /** The repo row a spec's {@code repo_id} names: it must have been initialised. */
  private String repoRowId(EntityManager em, ProjectEntity project, String repoName) {
    RepoEntity repo = repos.find(em, project.getId(), repoName);
    if (repo == null) {
      throw ApiException.repoDoesNotExist(repoName);
    }
    return repo.getId();
  }

  /** The latest non-deleted run of that name. */
  static RunEntity findByName(EntityManager em, ProjectEntity project, String name) {
    List<RunEntity> found =
        em.createQuery(
                "SELECT r FROM RunEntity r WHERE r.projectId = :project AND r.runName = :name"
                    + " AND r.deleted = false ORDER BY r.submittedAt DESC",
                RunEntity.class)
            .setParameter("project", project.getId())
            .setParameter("name", name)
            .setMaxResults(1)
            .getResultList();
    return found.isEmpty() ? null : found.get(0);
  }

  /** The project's active fleets the run may use (all, or those its profile names). */
  static List<FleetEntity> allowedFleets(
      EntityManager em, String projectId, Map<String, Object> effective) {
    List<FleetEntity> fleets =
        em.createQuery(
                "SELECT f FROM FleetEntity f WHERE f.projectId = :project AND f.deleted = false"
                    + " AND f.status = :active",
                FleetEntity.class)
            .setParameter("project", projectId)
            .setParameter("active", FleetStatus.ACTIVE)
            .getResultList();
    Object backends = RunSpecs.merged(effective, "backends");
    if (backends instanceof List<?> list && !list.isEmpty() && !list.contains("remote")) {
      return List.of();
    }
    if (!(RunSpecs.merged(effective, "fleets") instanceof List<?> names)) {
      return fleets;
    }
    List<String> allowed = new ArrayList<>();
    for (Object item : names) {
      allowed.add(
          item instanceof Map<?, ?> ref ? String.valueOf(ref.get("name")) : item.toString());
    }
    return fleets.stream().filter(f -> allowed.contains(f.getName())).toList();
  }

  /** Idle or busy instances of the fleets the run may use. */
  static List<InstanceEntity> candidateInstances(EntityManager em, List<FleetEntity> fleets) {
    if (fleets.isEmpty()) {
      return List.of();
    }
    return em.createQuery(
            "SELECT i FROM InstanceEntity i WHERE i.fleetId IN :fleets AND i.deleted = false"
                + " AND i.status IN :statuses ORDER BY i.createdAt, i.id",
            InstanceEntity.class)
        .setParameter("fleets", fleets.stream().map(FleetEntity::getId).toList())
        .setParameter("statuses", List.of(InstanceStatus.IDLE, InstanceStatus.BUSY))
        .getResultList();
  }

  /** {@code runs/get}: by name (not deleted) or by id (also deleted). */
  public RunEntity get(ProjectEntity project, String name, String id) {
    RunEntity run =
        server
            .database()
            .read(
                em -> {
                  if (id != null) {
                    RunEntity byId = em.find(RunEntity.class, id);
                    return byId != null && byId.getProjectId().equals(project.getId())
                        ? byId
                        : null;
                  }
                  return findByName(em, project, name);
                });
    if (run == null) {
      throw ApiException.resourceNotExists("Run not found");
    }
    return run;
  }

  /**
   * {@code runs/stop}: active runs move to {@code terminating} with the user's reason; the run
   * pipeline stops their jobs. Unknown and finished runs are skipped.
   */
  public void stop(UserEntity caller, ProjectEntity project, List<String> names, boolean abort) {
    String reason = abort ? "ABORTED_BY_USER" : "STOPPED_BY_USER";
    int stopped =
        server
            .database()
            .tx(
                em -> {
                  int count = 0;
                  for (String name : names) {
                    RunEntity run = findByName(em, project, name);
                    if (run == null || run.getStatus().finished()) {
                      continue;
                    }
                    if (run.getStatus() == RunStatus.TERMINATING
                        && !(abort && "STOPPED_BY_USER".equals(run.getTerminationReason()))) {
                      continue;
                    }
                    RunStatus from = run.getStatus();
                    run.setStatus(RunStatus.TERMINATING);
                    run.setTerminationReason(reason);
                    events.runStatus(em, run, from, caller.getId());
                    Handover.run(run);
                    count++;
                  }
                  return count;
                });
    if (stopped > 0) {
      workers.hint(RUN_PIPELINE);
    }
  }

  /** {@code runs/delete}: finished runs are marked deleted; any active one refuses them all. */
  public void delete(UserEntity caller, ProjectEntity project, List<String> names) {
    server
        .database()
        .txRun(
            em -> {
              List<RunEntity> runs = new ArrayList<>();
              for (String name : names) {
                RunEntity run = findByName(em, project, name);
                if (run != null) {
                  runs.add(run);
                }
              }
              List<String> active =
                  runs.stream()
                      .filter(r -> !r.getStatus().finished())
                      .map(r -> "'" + r.getRunName() + "'")
                      .toList();
              if (!active.isEmpty()) {
                throw ApiException.error(
                    "Cannot delete active runs: [" + String.join(", ", active) + "]");
              }
              for (RunEntity run : runs) {
                if (!run.isDeleted()) {
                  run.setDeleted(true);
                  events.deleted(em, run, caller.getId());
                }
              }
            });
  }

  /** Filters of {@code /api/runs/list}. */
  public record ListQuery(
      String projectName, String repoId, String username, boolean onlyActive, Keyset keyset) {}

  /** A run as a list page names it: enough to tell whether its view can be reused. */
  public record ListedRun(String id, RunStatus status, boolean deleted) {}

  /**
   * {@code /api/runs/list}: runs of the projects the caller sees, newest first by default. Only
   * their ids and states: specs are loaded ({@link #byIds}) for the runs whose view is not kept.
   */
  public List<ListedRun> list(UserEntity caller, ListQuery query) {
    Map<String, ProjectEntity> visible = new HashMap<>();
    for (ProjectEntity project : projects.listVisible(caller)) {
      if (query.projectName() == null || project.getName().equals(query.projectName())) {
        visible.put(project.getId(), project);
      }
    }
    if (visible.isEmpty() || query.repoId() != null && query.projectName() == null) {
      return List.of();
    }
    return server
        .database()
        .read(
            em -> {
              String userId = null;
              if (query.username() != null) {
                List<String> ids =
                    em.createQuery(
                            "SELECT u.id FROM UserEntity u WHERE u.name = :name", String.class)
                        .setParameter("name", query.username())
                        .getResultList();
                if (ids.isEmpty()) {
                  throw ApiException.resourceNotExists("User not found");
                }
                userId = ids.get(0);
              }
              String repoRowId = null;
              if (query.repoId() != null) {
                RepoEntity repo =
                    repos.find(em, visible.keySet().iterator().next(), query.repoId());
                if (repo == null) {
                  return List.<ListedRun>of();
                }
                repoRowId = repo.getId();
              }
              Keyset keyset = query.keyset();
              StringBuilder jpql =
                  new StringBuilder(
                      "SELECT r.id, r.status, r.deleted FROM RunEntity r"
                          + " WHERE r.projectId IN :projects");
              if (userId != null) {
                jpql.append(" AND r.userId = :user");
              }
              if (repoRowId != null) {
                jpql.append(" AND r.repoId = :repo");
              }
              if (query.onlyActive()) {
                jpql.append(" AND r.status NOT IN :finished");
              }
              jpql.append(keyset.condition("r.submittedAt", "r.id"));
              jpql.append(keyset.orderBy("r.submittedAt", "r.id"));
              var typed =
                  em.createQuery(jpql.toString(), Object[].class)
                      .setParameter("projects", new ArrayList<>(visible.keySet()));
              if (userId != null) {
                typed.setParameter("user", userId);
              }
              if (repoRowId != null) {
                typed.setParameter("repo", repoRowId);
              }
              if (query.onlyActive()) {
                typed.setParameter(
                    "finished", List.of(RunStatus.DONE, RunStatus.FAILED, RunStatus.TERMINATED));
              }
              return keyset.results(typed).stream()
                  .map(row -> new ListedRun((String) row[0], (RunStatus) row[1], (Boolean) row[2]))
                  .toList();
            });
  }

  /** The runs with these ids. */
  public Map<String, RunEntity> byIds(List<String> ids) {
    if (ids.isEmpty()) {
      return Map.of();
    }
    Map<String, RunEntity> runs = new HashMap<>();
    server
        .database()
        .read(
            em ->
                em.createQuery("SELECT r FROM RunEntity r WHERE r.id IN :ids", RunEntity.class)
                    .setParameter("ids", ids)
                    .getResultList())
        .forEach(run -> runs.put(run.getId(), run));
    return runs;
  }

  /** The latest submission of each job of one replica of a run, by job number. */
  static List<JobEntity> latestJobs(EntityManager em, String runId, int replicaNum) {
    Map<Integer, JobEntity> latest = new java.util.TreeMap<>();
    for (JobEntity job :
        em.createQuery(
                "SELECT j FROM JobEntity j WHERE j.runId = :run AND j.replicaNum = :replica"
                    + " ORDER BY j.jobNum, j.submissionNum",
                JobEntity.class)
            .setParameter("run", runId)
            .setParameter("replica", replicaNum)
            .getResultList()) {
      latest.put(job.getJobNum(), job);
    }
    return new ArrayList<>(latest.values());
  }

  /** The job rows of these runs, by run id, ordered by replica, job and submission. */
  public Map<String, List<JobEntity>> jobsOf(List<RunEntity> runs) {
    if (runs.isEmpty()) {
      return Map.of();
    }
    List<String> ids = runs.stream().map(RunEntity::getId).toList();
    List<JobEntity> jobs = server.database().read(em -> jobsOf(em, ids));
    Map<String, List<JobEntity>> byRun = new LinkedHashMap<>();
    for (JobEntity job : jobs) {
      byRun.computeIfAbsent(job.getRunId(), k -> new ArrayList<>()).add(job);
    }
    return byRun;
  }

  /** The probes' success streaks of the services' jobs among these, by job id. */
  public Map<String, List<Long>> probeStreaksOf(
      List<RunEntity> runs, Map<String, List<JobEntity>> jobsByRun) {
    List<String> jobIds = new ArrayList<>();
    for (RunEntity run : runs) {
      if (ServiceSpecs.isService(run.getRunSpec())) {
        jobsByRun.getOrDefault(run.getId(), List.of()).forEach(job -> jobIds.add(job.getId()));
      }
    }
    return jobIds.isEmpty() ? Map.of() : server.database().read(em -> Probes.streaks(em, jobIds));
  }

  private static List<JobEntity> jobsOf(EntityManager em, List<String> runIds) {
    return em.createQuery(
            "SELECT j FROM JobEntity j WHERE j.runId IN :runs"
                + " ORDER BY j.replicaNum, j.jobNum, j.submissionNum",
            JobEntity.class)
        .setParameter("runs", runIds)
        .getResultList();
  }

  /** Names of the users and projects these runs refer to, by id. */
  public Map<String, String> namesOf(List<RunEntity> runs) {
    if (runs.isEmpty()) {
      return Map.of();
    }
    List<String> userIds = runs.stream().map(RunEntity::getUserId).distinct().toList();
    List<String> projectIds = runs.stream().map(RunEntity::getProjectId).distinct().toList();
    List<String> fleetIds =
        runs.stream().map(RunEntity::getFleetId).filter(f -> f != null).distinct().toList();
    return server
        .database()
        .read(
            em -> {
              Map<String, String> names = new HashMap<>();
              em.createQuery(
                      "SELECT u.id, u.name FROM UserEntity u WHERE u.id IN :ids", Object[].class)
                  .setParameter("ids", userIds)
                  .getResultList()
                  .forEach(row -> names.put((String) row[0], (String) row[1]));
              em.createQuery(
                      "SELECT p.id, p.name FROM ProjectEntity p WHERE p.id IN :ids", Object[].class)
                  .setParameter("ids", projectIds)
                  .getResultList()
                  .forEach(row -> names.put((String) row[0], (String) row[1]));
              if (!fleetIds.isEmpty()) {
                em.createQuery(
                        "SELECT f.id, f.name FROM FleetEntity f WHERE f.id IN :ids", Object[].class)
                    .setParameter("ids", fleetIds)
                    .getResultList()
                    .forEach(row -> names.put((String) row[0], (String) row[1]));
              }
              return names;
            });
  }
}
