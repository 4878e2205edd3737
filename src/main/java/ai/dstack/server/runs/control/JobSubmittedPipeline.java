package ai.dstack.server.runs.control;

import ai.dstack.server.api.JsonText;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

  record Item(
      String jobId,
      String jobName,
      Map<String, Object> requirements,
      List<InstanceEntity> instances,
      boolean hasFleet) {}

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
    Map<String, Object> spec = RunSpecs.parse(run.getRunSpec());
    Map<String, Object> jobSpec = FleetSpecs.parse(job.getJobSpecData());
    List<FleetEntity> fleets = Runs.allowedFleets(em, job.getProjectId(), spec);
    List<InstanceEntity> instances = Runs.candidateInstances(em, fleets);
    instances.forEach(em::detach);
    return new Item(
        job.getId(),
        job.getJobName(),
        (Map<String, Object>) jobSpec.get("requirements"),
        instances,
        !fleets.isEmpty());
  }

  @Override
  public Apply process(Item item, Lease lease) {
    List<Offers.Offer> offers = Offers.match(item.instances(), item.requirements());
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
