package ai.dstack.server.runs.control;

import ai.dstack.server.ServerContext;
import ai.dstack.server.api.JsonText;
import ai.dstack.server.db.Times;
import ai.dstack.server.files.control.FileArchives;
import ai.dstack.server.fleets.control.FleetSpecs;
import ai.dstack.server.hosts.HostAccess;
import ai.dstack.server.hosts.HostException;
import ai.dstack.server.instances.control.InstancePipeline;
import ai.dstack.server.instances.control.Instances;
import ai.dstack.server.instances.entity.InstanceEntity;
import ai.dstack.server.logs.control.JobLogs;
import ai.dstack.server.logs.control.LogProducer;
import ai.dstack.server.logs.control.RunLogs;
import ai.dstack.server.logs.control.RunnerLogEvent;
import ai.dstack.server.metrics.control.JobMetrics;
import ai.dstack.server.projects.entity.ProjectEntity;
import ai.dstack.server.repos.control.Repos;
import ai.dstack.server.runs.entity.JobEntity;
import ai.dstack.server.runs.entity.JobStatus;
import ai.dstack.server.runs.entity.RunEntity;
import ai.dstack.server.runs.entity.RunStatus;
import ai.dstack.server.secrets.control.Secrets;
import ai.dstack.server.workers.Lease;
import ai.dstack.server.workers.Pipeline;
import ai.dstack.server.workers.PipelineSettings;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Assigned jobs through the agent protocol (SERVER.md §6.4 steps 5-7): the task is submitted to the
 * host's shim, the job to its runner once the task runs (spec with secrets resolved, file archives,
 * code), then the runner is pulled for states, logs and metrics until the job ends. Logs go to
 * storage one bounded page at a time before the next is asked for: a job printing faster than
 * storage takes it waits on the host, not in this server's heap.
 */
@ApplicationScoped
public class JobRunningPipeline implements Pipeline<JobRunningPipeline.Item> {
  private static final Logger LOG = Logger.getLogger(JobRunningPipeline.class.getName());

  /** A pull answer carries at most this many base64 bytes of messages per stream. */
  static final long PULL_PAGE_BYTES = 1024 * 1024;

  /** Pages taken in one round before the job's lease is given back to the engine. */
  private static final int PAGES_PER_ROUND = 64;

  private static final Duration UNREACHABLE_LIMIT = Duration.ofMinutes(2);
  private static final Duration METRICS_INTERVAL = Duration.ofSeconds(9);

  @Inject private ServerContext server;
  @Inject private HostAccess hosts;
  @Inject private RunLogs logs;
  @Inject private JobMetrics metrics;
  @Inject private Repos repos;
  @Inject private FileArchives fileArchives;
  @Inject private RunEvents events;

  /** What one round needs; the job's inputs only while it is being started. */
  record Item(
      JobEntity job,
      RunEntity run,
      String projectName,
      String projectPublicKey,
      Map<String, Object> connection,
      JobInputs.Inputs inputs,
      boolean metricsDue) {}

  @Override
  public String name() {
    return Runs.JOBS_RUNNING_PIPELINE;
  }

  @Override
  public String table() {
    return "jobs";
  }

  @Override
  public String eligible() {
    return "status IN ('PROVISIONING', 'PULLING', 'RUNNING')";
  }

  @Override
  public PipelineSettings defaults() {
    return PipelineSettings.of(20, Duration.ofSeconds(2), Duration.ofSeconds(30));
  }

  @Override
  public Item load(EntityManager em, Lease lease) {
    JobEntity job = em.find(JobEntity.class, lease.id());
    if (job == null
        || job.getStatus().finished()
        || job.getStatus() == JobStatus.SUBMITTED
        || job.getStatus() == JobStatus.TERMINATING) {
      return null;
    }
    RunEntity run = em.find(RunEntity.class, job.getRunId());
    if (run == null || run.getStatus() == RunStatus.TERMINATING || run.getStatus().finished()) {
      return null;
    }
    InstanceEntity instance =
        job.getInstanceId() == null ? null : em.find(InstanceEntity.class, job.getInstanceId());
    ProjectEntity project = em.find(ProjectEntity.class, job.getProjectId());
    Map<String, Object> connection = Instances.connection(instance);
    JobInputs.Inputs inputs =
        job.getStatus() == JobStatus.RUNNING
            ? null
            : JobInputs.load(
                em, job, run, Secrets.values(em, job.getProjectId()), repos, fileArchives);
    boolean metricsDue =
        job.getStatus() == JobStatus.RUNNING
            && !metrics.hasPointSince(
                em, job.getId(), (Instant.now().minus(METRICS_INTERVAL).toEpochMilli()) * 1000);
    em.detach(job);
    em.detach(run);
    return new Item(
        job, run, project.getName(), project.getSshPublicKey(), connection, inputs, metricsDue);
  }

  @Override
  public Apply process(Item item, Lease lease) {
    JobEntity job = item.job();
    if (item.connection() == null) {
      return terminate(
          job, "INSTANCE_UNREACHABLE", "The instance's connection details are unavailable");
    }
    JobAgent agent = new JobAgent(hosts.agent(), InstancePipeline.target(item.connection()));
    try {
      return switch (job.getStatus()) {
        case PROVISIONING -> provision(item, agent);
        case PULLING -> start(item, agent, JobStatus.PULLING);
        case RUNNING -> watch(item, agent);
        default -> Apply.NOTHING;
      };
    } catch (HostException e) {
      return unreachable(job, e);
    }
  }

  private Apply provision(Item item, JobAgent agent) throws HostException {
    JobEntity job = item.job();
    Map<String, Object> spec = FleetSpecs.parse(job.getJobSpecData());
    Map<String, Object> jpd = FleetSpecs.parse(job.getJobProvisioningData());
    Map<String, Object> runtime = FleetSpecs.parse(job.getJobRuntimeData());
    String userKey = (String) RunSpecs.parse(item.run().getRunSpec()).get("ssh_key_pub");
    Map<String, Object> task = new LinkedHashMap<>();
    task.put("id", job.getId());
    task.put("name", job.getJobName());
    task.put("registry_username", "");
    task.put("registry_password", "");
    task.put("image_name", spec.get("image_name"));
    task.put("container_user", "root");
    task.put("privileged", spec.get("privileged"));
    task.put("gpu", runtime.get("gpu") == null ? -1L : runtime.get("gpu"));
    task.put("cpu", runtime.get("cpu") == null ? 0.0 : runtime.get("cpu"));
    task.put(
        "memory",
        runtime.get("memory") == null
            ? 0L
            : (long) (((Number) runtime.get("memory")).doubleValue() * 1024 * 1024 * 1024));
    task.put("shm_size", 0L);
    task.put("network_mode", runtime.get("network_mode"));
    task.put("volumes", List.of());
    task.put("volume_mounts", List.of());
    task.put("instance_mounts", List.of());
    task.put("gpu_devices", List.of());
    task.put("host_ssh_user", jpd.get("username"));
    task.put("host_ssh_keys", userKey == null ? List.of() : List.of(userKey.strip()));
    List<String> containerKeys = new ArrayList<>();
    if (item.projectPublicKey() != null) {
      containerKeys.add(item.projectPublicKey().strip());
    }
    if (userKey != null) {
      containerKeys.add(userKey.strip());
    }
    task.put("container_ssh_keys", containerKeys);
    agent.submitTask(task);
    LOG.info("Job " + job.getJobName() + " submitted to its host's agent");
    // the agent starts tasks at once (no image to pull): go on in the same round
    return start(item, agent, JobStatus.PROVISIONING);
  }

  /** The task runs: the job goes to its runner and starts; else it keeps waiting (or gives up). */
  private Apply start(Item item, JobAgent agent, JobStatus from) throws HostException {
    JobEntity job = item.job();
    Map<String, Object> task = agent.task(job.getId());
    if (task == null) {
      return terminate(job, "CREATING_CONTAINER_ERROR", "The host's agent has no task for the job");
    }
    String status = String.valueOf(task.get("status"));
    if ("terminated".equals(status)) {
      String reason = String.valueOf(task.get("termination_reason"));
      return terminate(
          job,
          reason.isEmpty() ? "CREATING_CONTAINER_ERROR" : reason.toUpperCase(Locale.ROOT),
          (String) task.get("termination_message"));
    }
    if (!"running".equals(status)) {
      return waitingOrGivingUp(job, from, "the task is " + status);
    }
    int runnerPort = -1;
    int sshPort = -1;
    for (Object entry : (List<?>) task.getOrDefault("ports", List.of())) {
      Map<?, ?> mapping = (Map<?, ?>) entry;
      int container = ((Number) mapping.get("container")).intValue();
      int host = ((Number) mapping.get("host")).intValue();
      if (container == JobAgent.RUNNER_PORT) {
        runnerPort = host;
      } else if (container == JobAgent.SSH_PORT) {
        sshPort = host;
      }
    }
    if (runnerPort < 0) {
      return waitingOrGivingUp(job, from, "the task reports no runner port");
    }
    try {
      agent.runnerHealthcheck(runnerPort);
    } catch (HostException e) {
      return waitingOrGivingUp(job, from, e.getMessage());
    }
    JobInputs.Inputs inputs = item.inputs();
    if (inputs.nodesPending()) {
      return waitingOrGivingUp(job, from, "the other nodes of the job have no host yet");
    }
    if (inputs.failure() != null) {
      return terminate(job, "TERMINATED_BY_SERVER", inputs.failure());
    }
    agent.submitJob(runnerPort, inputs.submitBody(server.settings().runs().logQuotaPerJobHour()));
    for (Map.Entry<String, byte[]> archive : inputs.archives().entrySet()) {
      agent.uploadArchive(runnerPort, archive.getKey(), archive.getValue());
    }
    if (inputs.code() != null) {
      agent.uploadCode(runnerPort, inputs.code());
    }
    Map<String, Object> info = agent.run(runnerPort);
    Map<String, Object> runtime = FleetSpecs.parse(job.getJobRuntimeData());
    Map<String, Object> ports = new LinkedHashMap<>();
    if (sshPort > 0) {
      ports.put(String.valueOf(JobAgent.SSH_PORT), (long) sshPort);
    }
    ports.put(String.valueOf(JobAgent.RUNNER_PORT), (long) runnerPort);
    runtime.put("ports", ports);
    runtime.put("working_dir", info.get("working_dir"));
    runtime.put("username", info.get("username"));
    String runtimeJson = JsonText.write(runtime);
    LOG.info("Job " + job.getJobName() + " is running");
    return Apply.hinting(
        em -> {
          JobEntity row = em.find(JobEntity.class, job.getId());
          if (row != null && row.getStatus() == from) {
            row.setJobRuntimeData(runtimeJson);
            row.setStatus(JobStatus.RUNNING);
            row.setRunnerTimestamp(0L);
            row.setDisconnectedAt(null);
            Probes.start(em, row);
            events.jobStatus(em, row, from);
            Handover.job(em, row);
          }
        },
        Runs.RUN_PIPELINE,
        Runs.JOBS_RUNNING_PIPELINE);
  }

  /** Before the runner answers: wait as long as a host may take to come up, then give up. */
  private Apply waitingOrGivingUp(JobEntity job, JobStatus from, String why) {
    Duration limit = hosts.settings().provisioningTimeout();
    if (Times.now().isAfter(job.getSubmittedAt().plus(limit))) {
      return terminate(
          job,
          "WAITING_RUNNER_LIMIT_EXCEEDED",
          "The job's runner did not start within " + limit.toSeconds() + " s: " + why);
    }
    return em -> {
      JobEntity row = em.find(JobEntity.class, job.getId());
      if (row != null && row.getStatus() == from && from != JobStatus.PULLING) {
        row.setStatus(JobStatus.PULLING);
        events.jobStatus(em, row, from);
        Handover.job(em, row);
      }
    };
  }

  /** A running job: new states and logs from its runner, and a metrics point now and then. */
  private Apply watch(Item item, JobAgent agent) throws HostException {
    JobEntity job = item.job();
    int port = runnerPort(job);
    Pulled pulled = pull(agent, port, job, item.projectName(), logs, PAGES_PER_ROUND);
    Map<String, Object> point = null;
    if (item.metricsDue()) {
      point = agent.metrics(port);
    }
    Map<String, Object> metricsPoint = point;
    Map<String, Object> last = pulled.lastState();
    String finalReason = null;
    String finalMessage = null;
    Integer exitStatus = null;
    if (last != null) {
      String state = String.valueOf(last.get("state"));
      if (List.of("done", "failed", "terminated").contains(state)) {
        Object code = last.get("exit_status");
        exitStatus = code instanceof Number n ? n.intValue() : null;
        String runnerReason = (String) last.get("termination_reason");
        finalMessage = (String) last.get("termination_message");
        if ("done".equals(state)) {
          finalReason = "DONE_BY_RUNNER";
        } else if (runnerReason != null && !runnerReason.isEmpty()) {
          finalReason = runnerReason.toUpperCase(Locale.ROOT);
        } else {
          finalReason = "CONTAINER_EXITED_WITH_ERROR";
        }
      }
    }
    if (finalReason == null && inactive(item.run(), pulled.noConnectionsSecs())) {
      finalReason = "INACTIVITY_DURATION_EXCEEDED";
      finalMessage = "No SSH connection for " + pulled.noConnectionsSecs() + " s";
    }
    String reason = finalReason;
    String message = finalMessage == null || finalMessage.isEmpty() ? null : finalMessage;
    Integer exit = exitStatus;
    long cursor = pulled.cursor();
    Integer inactivity = pulled.noConnectionsSecs();
    if (reason != null) {
      LOG.info(
          "Job "
              + job.getJobName()
              + " ended on its host: "
              + reason.toLowerCase(Locale.ROOT)
              + (exit == null ? "" : " (exit " + exit + ")"));
    }
    Apply writes =
        em -> {
          JobEntity row = em.find(JobEntity.class, job.getId());
          if (row == null || row.getStatus() != JobStatus.RUNNING) {
            return;
          }
          row.setRunnerTimestamp(cursor);
          row.setDisconnectedAt(null);
          row.setInactivitySecs(inactivity);
          if (metricsPoint != null) {
            metrics.record(em, job.getId(), metricsPoint);
          }
          if (reason != null) {
            row.setExitStatus(exit);
            row.terminate(reason, message);
            events.jobStatus(em, row, JobStatus.RUNNING);
            Handover.job(em, row);
          }
        };
    return reason == null
        ? writes
        : Apply.hinting(writes, Runs.JOBS_TERMINATING_PIPELINE, Runs.RUN_PIPELINE);
  }

  /** A dev environment nobody has been connected to for its {@code inactivity_duration}. */
  private static boolean inactive(RunEntity run, Integer noConnectionsSecs) {
    if (noConnectionsSecs == null || noConnectionsSecs <= 0) {
      return false;
    }
    Map<String, Object> configuration = RunSpecs.configuration(RunSpecs.parse(run.getRunSpec()));
    return "dev-environment".equals(configuration.get("type"))
        && configuration.get("inactivity_duration") instanceof Number limit
        && limit.longValue() > 0
        && noConnectionsSecs >= limit.longValue();
  }

  /** What pulling a runner gave: the cursor to go on from and the last state seen. */
  record Pulled(
      long cursor, Map<String, Object> lastState, Integer noConnectionsSecs, boolean more) {}

  /**
   * Pulls up to {@code pages} pages from the runner after the job's cursor, each written to log
   * storage before the next is asked for.
   */
  static Pulled pull(
      JobAgent agent, int port, JobEntity job, String projectName, RunLogs logs, int pages)
      throws HostException {
    long cursor = job.getRunnerTimestamp() == null ? 0 : job.getRunnerTimestamp();
    Map<String, Object> lastState = null;
    Integer noConnections = null;
    JobLogs target = new JobLogs(projectName, job.getRunName(), job.getId());
    for (int page = 0; page < pages; page++) {
      Map<String, Object> answer = agent.pull(port, cursor, PULL_PAGE_BYTES);
      List<?> jobLogs = (List<?>) answer.getOrDefault("job_logs", List.of());
      List<?> runnerLogs = (List<?>) answer.getOrDefault("runner_logs", List.of());
      logs.write(target, LogProducer.JOB, events(jobLogs));
      logs.write(target, LogProducer.RUNNER, events(runnerLogs));
      for (Object state : (List<?>) answer.getOrDefault("job_states", List.of())) {
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) state;
        lastState = map;
      }
      if (answer.get("no_connections_secs") instanceof Number secs) {
        noConnections = secs.intValue();
      }
      long next = answer.get("last_updated") instanceof Number n ? n.longValue() : cursor;
      boolean advanced = next > cursor;
      cursor = Math.max(cursor, next);
      if (!advanced || jobLogs.isEmpty() && runnerLogs.isEmpty()) {
        return new Pulled(cursor, lastState, noConnections, false);
      }
    }
    return new Pulled(cursor, lastState, noConnections, true);
  }

  private static List<RunnerLogEvent> events(List<?> wire) {
    List<RunnerLogEvent> events = new ArrayList<>(wire.size());
    for (Object item : wire) {
      Map<?, ?> event = (Map<?, ?>) item;
      events.add(
          new RunnerLogEvent(
              ((Number) event.get("timestamp")).longValue(),
              Base64.getDecoder().decode(String.valueOf(event.get("message")))));
    }
    return events;
  }

  /** The host port of the job's runner API, from its runtime data. */
  static int runnerPort(JobEntity job) {
    Map<String, Object> runtime =
        job.getJobRuntimeData() == null ? Map.of() : FleetSpecs.parse(job.getJobRuntimeData());
    Object ports = runtime.get("ports");
    if (ports instanceof Map<?, ?> map
        && map.get(String.valueOf(JobAgent.RUNNER_PORT)) instanceof Number port) {
      return port.intValue();
    }
    return -1;
  }

  /** The host did not answer: flagged at once, the job given up after two minutes of it. */
  private Apply unreachable(JobEntity job, HostException e) {
    Instant now = Times.now();
    Instant since = job.getDisconnectedAt() == null ? now : job.getDisconnectedAt();
    if (now.isAfter(since.plus(UNREACHABLE_LIMIT))) {
      LOG.info(
          "Job "
              + job.getJobName()
              + ": its host has not answered since "
              + since
              + ": "
              + e.getMessage());
      return terminate(job, "INSTANCE_UNREACHABLE", e.getMessage());
    }
    if (job.getDisconnectedAt() == null) {
      LOG.info("Job " + job.getJobName() + ": its host does not answer: " + e.getMessage());
    }
    return em -> {
      JobEntity row = em.find(JobEntity.class, job.getId());
      if (row != null && row.getStatus() == job.getStatus() && row.getDisconnectedAt() == null) {
        row.setDisconnectedAt(since);
      }
    };
  }

  private Apply terminate(JobEntity job, String reason, String message) {
    LOG.info(
        "Job "
            + job.getJobName()
            + " is terminating: "
            + reason.toLowerCase(Locale.ROOT)
            + (message == null ? "" : " (" + message + ")"));
    return Apply.hinting(
        em -> {
          JobEntity row = em.find(JobEntity.class, job.getId());
          if (row != null && row.getStatus() == job.getStatus()) {
            row.terminate(reason, message);
            events.jobStatus(em, row, job.getStatus());
            Handover.job(em, row);
          }
        },
        Runs.JOBS_TERMINATING_PIPELINE,
        Runs.RUN_PIPELINE);
  }
}
