package ai.dstack.server.runs.control;

import ai.dstack.server.api.JsonText;
import ai.dstack.server.db.Times;
import ai.dstack.server.fleets.control.FleetSpecs;
import ai.dstack.server.fleets.entity.FleetEntity;
import ai.dstack.server.instances.entity.InstanceEntity;
import ai.dstack.server.instances.entity.InstanceStatus;
import ai.dstack.server.runs.entity.JobEntity;
import ai.dstack.server.runs.entity.JobStatus;
import ai.dstack.server.runs.entity.RunEntity;
import ai.dstack.server.runs.entity.RunStatus;
import ai.dstack.server.workers.Lease;
import ai.dstack.server.workers.Pipeline;
import ai.dstack.server.workers.PipelineSettings;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Submitted jobs get a host (SERVER.md §6.4 step 2): the first instance of the project's fleets
 * with enough free blocks is taken with one conditional update (so concurrent jobs and replicas
 * never overbook it); with none, the job fails for lack of capacity at once, as upstream does for
 * SSH fleets.
 */
@ApplicationScoped
public class JobSubmittedPipeline implements Pipeline<JobSubmittedPipeline.Item> {
  private static final Logger LOG = Logger.getLogger(JobSubmittedPipeline.class.getName());

  @Inject private RunEvents events;

  /**
   * @param queuedUntil with {@code retry} on no capacity: until when the job may wait for a host
   *     (null: it fails at once without one)
   * @param behind a job of the project with a higher priority (or as high and older) waits too
   */
  record Item(
      String jobId,
      String jobName,
      Map<String, Object> requirements,
      List<InstanceEntity> instances,
      boolean hasFleet,
      Instant queuedUntil,
      boolean behind) {}

  @Override
  public String name() {
    return Runs.JOBS_SUBMITTED_PIPELINE;
  }

  @Override
  public String table() {
    return "jobs";
  }

  @Override
  public String eligible() {
    return "status = 'SUBMITTED'";
  }

  /** Jobs of higher-priority runs are looked at first (API.md: priority orders the queue). */
  @Override
  public String priority() {
    return "(SELECT runs.priority FROM runs WHERE runs.id = jobs.run_id) DESC";
  }

  @Override
  public PipelineSettings defaults() {
    return PipelineSettings.of(4, Duration.ofSeconds(2), Duration.ofSeconds(40));
  }

  @Override
  @SuppressWarnings("unchecked")
  public Item load(EntityManager em, Lease lease) {
    JobEntity job = em.find(JobEntity.class, lease.id());
    if (job == null || job.getStatus() != JobStatus.SUBMITTED) {
      return null;
    }
    RunEntity run = em.find(RunEntity.class, job.getRunId());
    if (run == null || run.getStatus().finished() || run.getStatus() == RunStatus.TERMINATING) {
      return null;
    }
    List<JobEntity> siblings = Runs.latestJobs(em, run.getId(), job.getReplicaNum());
    if (job.getJobNum() > 0
        && siblings.stream()
            .anyMatch(j -> j.getJobNum() == 0 && j.getStatus() == JobStatus.SUBMITTED)) {
      return null; // the master job gets its host first; the others follow it to its fleet
    }
    Map<String, Object> spec = RunSpecs.parse(run.getRunSpec());
    Map<String, Object> jobSpec = FleetSpecs.parse(job.getJobSpecData());
    List<FleetEntity> fleets = Runs.allowedFleets(em, job.getProjectId(), spec);
    if (job.getJobNum() > 0 && run.getFleetId() != null) {
      fleets = fleets.stream().filter(f -> f.getId().equals(run.getFleetId())).toList();
    }
    Set<String> taken = new HashSet<>();
    siblings.stream()
        .filter(j -> !j.getId().equals(job.getId()) && j.getInstanceId() != null)
        .forEach(j -> taken.add(j.getInstanceId()));
    // the nodes of a multi-node job run on different hosts
    List<InstanceEntity> instances =
        Runs.candidateInstances(em, fleets).stream()
            .filter(i -> !taken.contains(i.getId()))
            .toList();
    instances.forEach(em::detach);
    Instant queuedUntil = queuedUntil(jobSpec, run);
    return new Item(
        job.getId(),
        job.getJobName(),
        (Map<String, Object>) jobSpec.get("requirements"),
        instances,
        !fleets.isEmpty(),
        queuedUntil,
        queuedUntil != null && waitingAhead(em, job, run));
  }

  /** With {@code retry} on no-capacity, a job waits for a host up to the retry duration. */
  private static Instant queuedUntil(Map<String, Object> jobSpec, RunEntity run) {
    if (!(jobSpec.get("retry") instanceof Map<?, ?> retry)
        || !(retry.get("on_events") instanceof List<?> events)
        || !events.contains("no-capacity")
        || !(retry.get("duration") instanceof Number duration)) {
      return null;
    }
    return run.getSubmittedAt().plusSeconds(duration.longValue());
  }

  /** Whether a waiting job of the project comes before this one (priority, then age). */
  private static boolean waitingAhead(EntityManager em, JobEntity job, RunEntity run) {
    return em.createQuery(
                "SELECT COUNT(j) FROM JobEntity j, RunEntity r WHERE j.runId = r.id"
                    + " AND j.projectId = :project AND j.status = :submitted AND j.runId <> :run"
                    + " AND (r.priority > :priority OR (r.priority = :priority"
                    + " AND r.submittedAt < :submittedAt))",
                Long.class)
            .setParameter("project", job.getProjectId())
            .setParameter("submitted", JobStatus.SUBMITTED)
            .setParameter("run", run.getId())
            .setParameter("priority", run.getPriority())
            .setParameter("submittedAt", run.getSubmittedAt())
            .getSingleResult()
        > 0;
  }

  @Override
  public Apply process(Item item, Lease lease) {
    if (item.behind()) {
      return Apply.NOTHING;
    }
    List<Offers.Offer> offers = Offers.match(item.instances(), item.requirements());
    if (offers.isEmpty()
        && item.queuedUntil() != null
        && Times.now().isBefore(item.queuedUntil())) {
      return Apply.NOTHING; // queued: looked at again each round until a host frees up
    }
    if (offers.isEmpty()) {
      String message =
          item.hasFleet() || !item.instances().isEmpty() ? null : Runs.NO_FLEETS_MESSAGE;
      return Apply.hinting(
          em -> {
            JobEntity job = em.find(JobEntity.class, item.jobId());
            if (job != null && job.getStatus() == JobStatus.SUBMITTED) {
              job.terminate("FAILED_TO_START_DUE_TO_NO_CAPACITY", message);
              events.jobStatus(em, job, JobStatus.SUBMITTED);
              Handover.job(em, job);
            }
          },
          Runs.JOBS_TERMINATING_PIPELINE,
          Runs.RUN_PIPELINE);
    }
    return Apply.hinting(
        em -> {
          JobEntity job = em.find(JobEntity.class, item.jobId());
          if (job == null || job.getStatus() != JobStatus.SUBMITTED) {
            return;
          }
          for (Offers.Offer offer : offers) {
            if (take(em, offer)) {
              assign(em, job, offer);
              return;
            }
          }
          // every offer was taken meanwhile: the next round sees the hosts as they are now
        },
        Runs.JOBS_RUNNING_PIPELINE,
        Runs.RUN_PIPELINE);
  }

  /** Books the offer's blocks if they are still free: one statement, so no one else can. */
  private static boolean take(EntityManager em, Offers.Offer offer) {
    int updated =
        em.createQuery(
                "UPDATE InstanceEntity i SET i.busyBlocks = i.busyBlocks + :blocks,"
                    + " i.status = :busy WHERE i.id = :id AND i.deleted = false"
                    + " AND i.status IN :usable AND i.busyBlocks + :blocks <= i.totalBlocks"
                    + " AND i.unreachable = false")
            .setParameter("blocks", offer.blocks())
            .setParameter("busy", InstanceStatus.BUSY)
            .setParameter("id", offer.instance().getId())
            .setParameter("usable", List.of(InstanceStatus.IDLE, InstanceStatus.BUSY))
            .executeUpdate();
    return updated == 1;
  }

  private void assign(EntityManager em, JobEntity job, Offers.Offer offer) {
    InstanceEntity instance = offer.instance();
    Map<String, Object> resources = offer.resources();
    boolean whole = offer.blocks() == offer.totalBlocks();
    Map<String, Object> runtime = new LinkedHashMap<>();
    runtime.put("network_mode", whole ? "host" : "bridge");
    runtime.put("gpu", whole ? null : (long) ((List<?>) resources.get("gpus")).size());
    runtime.put("cpu", whole ? null : ((Number) resources.get("cpus")).doubleValue());
    runtime.put(
        "memory", whole ? null : ((Number) resources.get("memory_mib")).doubleValue() / 1024);
    runtime.put("ports", null);
    runtime.put("volume_names", null);
    runtime.put("offer", offer.view());
    runtime.put("working_dir", null);
    runtime.put("username", null);
    job.setInstanceId(instance.getId());
    job.setUsedInstanceId(instance.getId());
    job.setFleetId(instance.getFleetId());
    job.setInstanceBlocks(offer.blocks());
    job.setJobProvisioningData(instance.getJobProvisioningData());
    job.setJobRuntimeData(JsonText.write(runtime));
    job.setStatus(JobStatus.PROVISIONING);
    events.jobStatus(em, job, JobStatus.SUBMITTED);
    Handover.job(em, job);
    RunEntity run = em.find(RunEntity.class, job.getRunId());
    if (run != null && run.getFleetId() == null) {
      run.setFleetId(instance.getFleetId());
    }
    LOG.info(
        "Job "
            + job.getJobName()
            + " assigned to instance "
            + instance.getName()
            + " ("
            + offer.blocks()
            + "/"
            + offer.totalBlocks()
            + " blocks)");
  }
}
