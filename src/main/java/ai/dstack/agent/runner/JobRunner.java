package ai.dstack.agent.runner;

import ai.dstack.agent.AgentSettings;
import ai.dstack.agent.docker.Docker;
import ai.dstack.agent.docker.DockerCommands;
import ai.dstack.agent.host.CommandRunner;
import ai.dstack.agent.host.Gpus;
import ai.dstack.agent.host.ProcessMetrics;
import ai.dstack.agent.http.HttpException;
import ai.dstack.agent.http.HttpRequest;
import ai.dstack.agent.http.HttpResponse;
import ai.dstack.agent.http.HttpServer;
import ai.dstack.agent.http.WebSocket;
import ai.dstack.agent.io.AtomicFiles;
import ai.dstack.agent.io.Multipart;
import ai.dstack.agent.io.TarArchive;
import ai.dstack.agent.json.Json;
import ai.dstack.agent.json.JsonException;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One job's runner: upstream's dstack-runner HTTP API (SERVER.md §7.4) on its own loopback port,
 * executing the job as a process tree. Everything it knows lives in the job directory, so a new
 * agent process picks the job up where the old one left it.
 */
public final class JobRunner implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(JobRunner.class.getName());
  static final String WAIT_SUBMIT = "wait_submit";
  static final String WAIT_RUN = "wait_run";
  static final String SERVE_LOGS = "serve_logs";
  static final String WAIT_LOGS_FINISHED = "wait_logs_finished";
  private static final int BODY_LIMIT = 64 * 1024 * 1024;
  private static final long PARTIAL_LINE_DELAY_MS = 500;
  private static final long SUPERVISE_INTERVAL_MS = 100;

  /**
   * Output bytes turned into log events per step: the runner's lock is held while it works, so a
   * job printing faster than that is taken in chunks between which pulls and stops get their turn.
   */
  private static final int PUMP_CHUNK_BYTES = 4 * 1024 * 1024;

  /** Host-wide readers for {@code /api/metrics}, made once per agent process. */
  private static final class HostMetrics {
    static final CommandRunner COMMANDS = CommandRunner.system();
    static final ProcessMetrics PROCESSES = ProcessMetrics.forHost(COMMANDS);
    static final String GPU_VENDOR = Gpus.vendor(Path.of("/"));
  }

  /** Why the agent stopped a job, which decides its final state. */
  enum StopCause {
    USER,
    MAX_DURATION,
    LOG_QUOTA
  }

  private final String taskId;
  private final Path dir;
  private final AgentSettings settings;
  private final Map<String, Object> taskConfig;
  private final EventClock clock = new EventClock();
  private final EventLog jobLogs;
  private final EventLog runnerLogs;
  private final List<Map<String, Object>> states = new ArrayList<>();
  private final AnsiText ansi = new AnsiText();
  private volatile LongSupplier noConnectionsSecs = () -> 0;
  private volatile Consumer<List<String>> jobSshKeys = keys -> {};
  private HttpServer http;
  private Thread supervisor;
  private volatile boolean closed;

  // persisted in runner.json
  private String state = WAIT_SUBMIT;
  private Map<String, Object> submitBody;
  private JobSpec spec;
  private String workingDir;
  private String repoDir;
  private String container;
  private long pid;
  private Instant pidStarted;
  private long startedAtMs;
  private StopCause stopCause;
  private long killAtMs;
  private boolean killSent;

  // supervisor-only
  private JobProcess process;
  private long rawOffset;
  private long lastOutputMs;
  private long goneSinceMs;
  private long quotaHour;

  /** Set by a step that left output unread: the next step comes at once. */
  private volatile boolean outputBacklog;

  private long quotaBytes;

  private JobRunner(String taskId, Path dir, AgentSettings settings, Map<String, Object> taskConfig)
      throws IOException {
    this.taskId = taskId;
    this.dir = dir;
    this.settings = settings;
    this.taskConfig = taskConfig;
    Files.createDirectories(dir);
    this.jobLogs = new EventLog(dir.resolve("job_logs.jsonl"));
    this.runnerLogs = new EventLog(dir.resolve("runner_logs.jsonl"));
  }

  /** A new runner for a new task, listening on a free loopback port. */
  public static JobRunner create(
      String taskId, Path dir, AgentSettings settings, Map<String, Object> taskConfig)
      throws IOException {
    JobRunner runner = new JobRunner(taskId, dir, settings, taskConfig);
    runner.persist();
    runner.listen(0);
    return runner;
  }

  /** The runner of a task found on disk after a restart, on the port the server already knows. */
  public static JobRunner restore(
      String taskId, Path dir, AgentSettings settings, Map<String, Object> taskConfig, int port)
      throws IOException {
    JobRunner runner = new JobRunner(taskId, dir, settings, taskConfig);
    runner.load();
    runner.listen(port);
    runner.resume();
    return runner;
  }

  public int port() {
    return http.port();
  }

  /** The key of a multi-node job's SSH mesh, once submitted (also after a restart). */
  public synchronized String clusterPublicKey() {
    return spec == null ? null : spec.clusterPublicKey();
  }

  public void connectionTracker(LongSupplier noConnectionsSecs) {
    this.noConnectionsSecs = noConnectionsSecs;
  }

  /** Where the keys a submission brings for the job's SSH endpoint go (multi-node jobs' key). */
  public void jobSshKeys(Consumer<List<String>> sink) {
    this.jobSshKeys = sink;
  }

  private void listen(int port) throws IOException {
    http =
        new HttpServer("runner-" + taskId)
            .route("GET", "/api/healthcheck", r -> healthcheck())
            .route("GET", "/api/metrics", r -> metrics())
            .route("POST", "/api/submit", this::submit)
            .route("POST", "/api/upload_archive", this::uploadArchive)
            .route("POST", "/api/upload_code", this::uploadCode)
            .route("POST", "/api/run", r -> run())
            .route("GET", "/api/pull", this::pull)
            .route("POST", "/api/stop", r -> stopRequest())
            .webSocket("/logs_ws", this::streamLogs)
            .start("127.0.0.1", port);
  }

  private HttpResponse healthcheck() {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("service", "dstack-runner");
    body.put("version", settings.version());
    return HttpResponse.json(body);
  }

  private HttpResponse metrics() {
    JobProcess running = currentProcess();
    if (running == null) {
      throw new HttpException(404, "Metrics collector is not available");
    }
    return HttpResponse.json(
        HostMetrics.PROCESSES
            .sample(
                List.of(running.pid()), Gpus.usage(HostMetrics.COMMANDS, HostMetrics.GPU_VENDOR))
            .toJson());
  }

  private synchronized JobProcess currentProcess() {
    return process;
  }

  private synchronized HttpResponse submit(HttpRequest request) throws IOException {
    if (state.equals(WAIT_RUN)) {
      runnerLog("WARNING", "Job already submitted, submitting again");
    } else if (!state.equals(WAIT_SUBMIT)) {
      throw new HttpException(409, "the runner does not wait for a submission (" + state + ")");
    }
    Map<String, Object> body;
    JobSpec parsed;
    try {
      body = Json.parseObject(request.bodyText(BODY_LIMIT));
      parsed = JobSpec.parse(body);
    } catch (JsonException | IllegalArgumentException e) {
      throw new HttpException(400, "Request body contains badly-formed JSON: " + e.getMessage());
    }
    submitBody = body;
    spec = parsed;
    state = WAIT_RUN;
    persist();
    String clusterKey = spec.clusterPublicKey();
    if (clusterKey != null && !clusterKey.isBlank()) {
      jobSshKeys.accept(List.of(clusterKey));
    }
    return HttpResponse.empty();
  }

  private HttpResponse uploadArchive(HttpRequest request) throws IOException {
    requireState(WAIT_RUN);
    Path archives = dir.resolve("file_archives");
    Multipart.Part part =
        Multipart.readSingleFile(request.header("content-type"), request.body(), archives);
    if (!"archive".equals(part.field())) {
      Files.deleteIfExists(part.content());
      throw new HttpException(400, "unexpected field " + part.field());
    }
    String id = part.fileName();
    if (id == null || id.isEmpty() || id.contains("/") || id.startsWith(".")) {
      Files.deleteIfExists(part.content());
      throw new HttpException(400, "missing file name");
    }
    Files.move(part.content(), archives.resolve(id), StandardCopyOption.REPLACE_EXISTING);
    return HttpResponse.empty();
  }

  private HttpResponse uploadCode(HttpRequest request) throws IOException {
    requireState(WAIT_RUN);
    Path partial = dir.resolve("code.blob.part");
    try (InputStream body = request.body()) {
      Files.copy(body, partial, StandardCopyOption.REPLACE_EXISTING);
    }
    Files.move(partial, dir.resolve("code.blob"), StandardCopyOption.REPLACE_EXISTING);
    return HttpResponse.empty();
  }

  private synchronized void requireState(String expected) {
    if (!state.equals(expected)) {
      throw new HttpException(409, "the runner is in state " + state);
    }
  }

  private synchronized HttpResponse run() throws IOException {
    requireState(WAIT_RUN);
    state = SERVE_LOGS;
    try {
      workingDir = resolveWorkingDir(spec).toString();
    } catch (IllegalArgumentException e) {
      fail("executor_error", "Failed to set job working dir (" + e.getMessage() + ")");
      return HttpResponse.empty();
    }
    persist();
    Thread starter = new Thread(this::start, "runner-" + taskId + "-start");
    starter.setDaemon(true);
    starter.start();
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("working_dir", workingDir);
    info.put("username", settings.userName());
    return HttpResponse.json(info);
  }

  private void start() {
    runnerLog("INFO", "Run job");
    Path work = Path.of(workingDir);
    try {
      Files.createDirectories(work);
      repoDir = expand(spec.repoDir() == null ? "." : spec.repoDir(), work).toString();
    } catch (IOException | IllegalArgumentException e) {
      fail("executor_error", "Failed to set job working dir (" + e.getMessage() + ")");
      return;
    }
    try {
      JobFiles.setupRepo(spec, Path.of(repoDir), dir.resolve("code.blob"), this::runnerLog);
    } catch (IOException | RuntimeException e) {
      fail("container_exited_with_error", "Failed to set up the repo (" + e.getMessage() + ")");
      return;
    }
    try {
      for (JobSpec.FileArchive archive : spec.fileArchives()) {
        Path target = expand(archive.path(), work);
        String name = target.getFileName().toString();
        Files.createDirectories(target.getParent());
        JobFiles.deleteRecursively(target);
        TarArchive.extract(
            dir.resolve("file_archives").resolve(archive.id()),
            target.getParent(),
            entry -> name + entry.replaceFirst("^[^/]*", ""));
      }
    } catch (IOException | RuntimeException e) {
      fail("executor_error", "Failed to set up files (" + e.getMessage() + ")");
      return;
    }
    try {
      Path script = dir.resolve("launch.sh");
      Map<String, String> env;
      String described;
      if (spec.image() != null && Docker.daemonAnswers()) {
        ContainerJob job = ContainerJob.prepare(spec, taskConfig, taskId, dir, work);
        env = job.clientEnvironment();
        Files.writeString(script, LaunchScript.forContainer(job.pull(), job.run(), dir));
        container = job.name();
        described = "container " + job.name() + " of " + spec.image();
      } else {
        List<String> command = spec.processCommand();
        env = JobEnvironment.build(spec, settings, dir, work, Path.of(repoDir));
        JobEnvironment.writeProfile(dir.resolve("env.sh"), env, work);
        Files.writeString(script, LaunchScript.forProcess(command, work, dir, env.get("SHELL")));
        described = String.join(" ", command);
      }
      synchronized (this) {
        if (stopCause != null) {
          // stopped while its code and files were being set up: nothing to start
          finish(null);
          return;
        }
      }
      JobProcess launched = JobProcess.launch(script, work, env, dir.resolve("output"));
      synchronized (this) {
        process = launched;
        pid = launched.pid();
        pidStarted = launched.started();
        startedAtMs = System.currentTimeMillis();
        addState("running", "", "", null);
        persist();
        if (stopCause != null) {
          signalJob(false, Math.max(0, killAtMs - startedAtMs));
        }
      }
      runnerLog("INFO", "Job started: " + described);
    } catch (IOException | RuntimeException e) {
      fail("executor_error", "Failed to start the job (" + e.getMessage() + ")");
      return;
    }
    startSupervisor();
  }

  private Path resolveWorkingDir(JobSpec spec) {
    Path jobDir = dir.resolve("workdir");
    if (spec.workingDir() == null) {
      return jobDir;
    }
    Path path = expand(spec.workingDir(), null);
    if (!path.isAbsolute()) {
      throw new IllegalArgumentException("working dir must be absolute: " + spec.workingDir());
    }
    return path;
  }

  /**
   * Expands {@code ~}, maps upstream's {@code /workflow} to the job directory, resolves relatives.
   */
  private Path expand(String path, Path base) {
    Path jobDir = dir.resolve("workdir");
    String p = path;
    if (p.equals("~") || p.startsWith("~/")) {
      return settings.userHome().resolve(p.equals("~") ? "" : p.substring(2)).normalize();
    }
    if (p.equals(JobSpec.LEGACY_REPO_DIR) || p.startsWith(JobSpec.LEGACY_REPO_DIR + "/")) {
      return jobDir
          .resolve(p.substring(JobSpec.LEGACY_REPO_DIR.length()).replaceFirst("^/", ""))
          .normalize();
    }
    Path result = Path.of(p);
    if (result.isAbsolute() || base == null) {
      return result.normalize();
    }
    return base.resolve(result).normalize();
  }

  /** Base64 bytes of log messages per stream in one pull answer unless {@code max_bytes} says. */
  static final long DEFAULT_PULL_BYTES = 4L * 1024 * 1024;

  private static final int BYTE_BOUNDED_PAGE_EVENTS = 100_000;

  private HttpResponse pull(HttpRequest request) throws IOException {
    long maxBytes = DEFAULT_PULL_BYTES;
    int maxEvents = settings.pullPageEvents();
    String bytes = request.query("max_bytes");
    if (bytes != null) {
      // a client bounding the page by bytes can take many short lines at once
      maxEvents = Math.max(maxEvents, BYTE_BOUNDED_PAGE_EVENTS);
      try {
        maxBytes = Math.max(1, Long.parseLong(bytes));
      } catch (NumberFormatException e) {
        throw new HttpException(400, "max_bytes must be an integer");
      }
    }
    long after = 0;
    String timestamp = request.query("timestamp");
    if (timestamp != null) {
      try {
        after = Long.parseLong(timestamp);
      } catch (NumberFormatException e) {
        throw new HttpException(400, "timestamp must be an integer");
      }
    }
    return HttpResponse.json(history(after, maxEvents, maxBytes));
  }

  /**
   * Events after {@code after}, at most a page of log events; {@code last_updated} is the cursor.
   */
  synchronized Map<String, Object> history(long after, int limit, long maxBytes)
      throws IOException {
    EventLog.Page job = jobLogs.after(after, limit, maxBytes);
    EventLog.Page runner = runnerLogs.after(after, limit, maxBytes);
    long cutoff = Long.MAX_VALUE;
    if (job.truncated()) {
      cutoff = Math.min(cutoff, lastTimestamp(job.events()));
    }
    if (runner.truncated()) {
      cutoff = Math.min(cutoff, lastTimestamp(runner.events()));
    }
    long limitTs = cutoff;
    List<Map<String, Object>> stateEvents = new ArrayList<>();
    for (Map<String, Object> event : states) {
      long ts = (Long) event.get("timestamp");
      if (ts > after && ts <= limitTs) {
        stateEvents.add(event);
      }
    }
    Map<String, Object> response = new LinkedHashMap<>();
    response.put("job_states", stateEvents);
    response.put("job_logs", upTo(job.events(), limitTs));
    response.put("runner_logs", upTo(runner.events(), limitTs));
    response.put("last_updated", cutoff == Long.MAX_VALUE ? clock.latest() : cutoff);
    response.put("no_connections_secs", noConnectionsSecs.getAsLong());
    response.put("has_more", cutoff != Long.MAX_VALUE || !state.equals(WAIT_LOGS_FINISHED));
    return response;
  }

  private static long lastTimestamp(List<Map<String, Object>> events) {
    return (Long) events.get(events.size() - 1).get("timestamp");
  }

  private static List<Map<String, Object>> upTo(List<Map<String, Object>> events, long limit) {
    List<Map<String, Object>> result = new ArrayList<>();
    for (Map<String, Object> event : events) {
      if ((Long) event.get("timestamp") <= limit) {
        result.add(event);
      }
    }
    return result;
  }

  private HttpResponse stopRequest() {
    stop(StopCause.USER, settings.killDelay().toMillis());
    return HttpResponse.empty();
  }

  /** Stops the job: TERM now, KILL after {@code graceMs}; a job not started yet just ends. */
  public synchronized void stop(StopCause cause, long graceMs) {
    if (state.equals(WAIT_SUBMIT) || state.equals(WAIT_RUN)) {
      state = WAIT_LOGS_FINISHED;
      persistQuietly();
      return;
    }
    if (!state.equals(SERVE_LOGS) || stopCause != null) {
      return;
    }
    stopCause = cause;
    killAtMs = System.currentTimeMillis() + graceMs;
    persistQuietly();
    runnerLog("INFO", "Stopping the job (" + cause.name().toLowerCase() + ")");
    signalJob(false, graceMs);
  }

  /** Stops the job and waits for it to end, killing it after {@code timeoutSeconds}. */
  public void terminate(long timeoutSeconds) {
    stop(StopCause.USER, TimeUnit.SECONDS.toMillis(timeoutSeconds));
    long deadline = System.currentTimeMillis() + TimeUnit.SECONDS.toMillis(timeoutSeconds) + 5000;
    while (System.currentTimeMillis() < deadline && !finished()) {
      sleep(50);
    }
  }

  public synchronized boolean finished() {
    return state.equals(WAIT_LOGS_FINISHED);
  }

  private void streamLogs(HttpRequest request, WebSocket socket) throws IOException {
    long startMs = 0;
    String startTime = request.query("start_time");
    if (startTime != null && !startTime.isEmpty()) {
      try {
        startMs = OffsetDateTime.parse(startTime).toEpochSecond() * 1000;
      } catch (DateTimeParseException e) {
        socket.close(WebSocket.UNSUPPORTED_DATA, "failed to parse start_time value");
        return;
      }
    }
    long position = startMs == 0 ? 0 : jobLogs.rawOffsetAt(startMs);
    byte[] buffer = new byte[64 * 1024];
    while (!socket.peerClosed() && !closed) {
      long available;
      boolean done;
      synchronized (this) {
        available = rawOffset;
        done = state.equals(WAIT_LOGS_FINISHED);
      }
      if (position < available) {
        try (RandomAccessFile output = new RandomAccessFile(dir.resolve("output").toFile(), "r")) {
          output.seek(position);
          while (position < available) {
            int n = output.read(buffer, 0, (int) Math.min(buffer.length, available - position));
            if (n < 0) {
              break;
            }
            socket.sendBinary(buffer, 0, n);
            position += n;
          }
        }
      } else if (done) {
        socket.close(WebSocket.NORMAL_CLOSURE, "");
        return;
      } else {
        sleep(100);
      }
    }
  }

  private void startSupervisor() {
    supervisor = new Thread(this::supervise, "runner-" + taskId + "-supervisor");
    supervisor.setDaemon(true);
    supervisor.start();
  }

  private void supervise() {
    while (!closed) {
      try {
        if (step()) {
          return;
        }
      } catch (IOException | RuntimeException e) {
        LOG.log(Level.WARNING, "task " + taskId + ": supervising the job failed", e);
      }
      if (!outputBacklog) {
        sleep(SUPERVISE_INTERVAL_MS);
      }
    }
  }

  /** One look at the job; true once it has ended and everything is recorded. */
  private synchronized boolean step() throws IOException {
    long now = System.currentTimeMillis();
    boolean quotaExceeded = pump(now);
    if (quotaExceeded && stopCause != StopCause.LOG_QUOTA) {
      stopCause = StopCause.LOG_QUOTA;
      killSent = true;
      persist();
      signalJob(true, 0);
    }
    long maxDuration = spec.maxDurationSeconds();
    if (stopCause == null && maxDuration > 0 && now >= startedAtMs + maxDuration * 1000) {
      stopCause = StopCause.MAX_DURATION;
      killAtMs = now + settings.killDelay().toMillis();
      persist();
      signalJob(false, settings.killDelay().toMillis());
    }
    if (stopCause != null && !killSent && now >= killAtMs) {
      killSent = true;
      persist();
      signalJob(true, 0);
    }
    Integer exitCode = readExitCode();
    boolean alive = process != null && process.alive();
    if (exitCode == null && alive) {
      goneSinceMs = 0;
      return false;
    }
    if (exitCode == null) {
      // the launcher writes the code just before it exits: give it a moment
      if (goneSinceMs == 0) {
        goneSinceMs = now;
        return false;
      }
      if (now - goneSinceMs < 2000) {
        return false;
      }
    }
    pump(now);
    if (outputBacklog) {
      return false;
    }
    byte[] rest = ansi.flush();
    if (rest.length > 0) {
      jobLogs.append(clock.next(), rest, rawOffset);
    }
    finish(exitCode);
    return true;
  }

  /** Reads new output into log events; true when the hourly log quota is exceeded. */
  private boolean pump(long now) throws IOException {
    Path output = dir.resolve("output");
    if (!Files.exists(output)) {
      return false;
    }
    long quota = spec.logQuotaHour();
    boolean exceeded = false;
    try (RandomAccessFile file = new RandomAccessFile(output.toFile(), "r")) {
      long size = file.length();
      byte[] buffer = new byte[64 * 1024];
      file.seek(rawOffset);
      long end = Math.min(size, rawOffset + PUMP_CHUNK_BYTES);
      while (rawOffset < end) {
        int n = file.read(buffer, 0, (int) Math.min(buffer.length, end - rawOffset));
        if (n < 0) {
          break;
        }
        rawOffset += n;
        lastOutputMs = now;
        byte[] text = ansi.feed(buffer, 0, n);
        if (text.length > 0) {
          exceeded |= !record(text, quota, now);
        }
      }
      outputBacklog = rawOffset < size;
    }
    if (lastOutputMs > 0 && now - lastOutputMs >= PARTIAL_LINE_DELAY_MS) {
      byte[] partial = ansi.flush();
      if (partial.length > 0) {
        exceeded |= !record(partial, quota, now);
      }
    }
    return exceeded;
  }

  private boolean record(byte[] text, long quota, long now) throws IOException {
    if (quota > 0) {
      long hour = (now - startedAtMs) / 3_600_000L;
      if (hour != quotaHour) {
        quotaHour = hour;
        quotaBytes = 0;
      }
      if (quotaBytes + text.length > quota) {
        return false;
      }
      quotaBytes += text.length;
    }
    jobLogs.append(clock.next(), text, rawOffset);
    return true;
  }

  /**
   * TERM (or KILL) to the job: to its process groups, or through Docker for a container, whose
   * processes the docker client does not own.
   */
  private void signalJob(boolean kill, long graceMs) {
    if (container != null) {
      List<String> command =
          kill
              ? DockerCommands.kill(container)
              : DockerCommands.stop(container, Math.max(1, graceMs / 1000));
      Thread docker =
          new Thread(
              () -> {
                try {
                  CommandRunner.system().run(command, Duration.ofSeconds(graceMs / 1000 + 30));
                } catch (IOException e) {
                  runnerLog("WARNING", String.join(" ", command) + " failed: " + e.getMessage());
                }
              },
              "runner-" + taskId + "-docker");
      docker.setDaemon(true);
      docker.start();
    } else if (process != null) {
      process.signal(kill ? "KILL" : "TERM");
    }
  }

  private Integer readExitCode() {
    try {
      return Integer.parseInt(Files.readString(dir.resolve("exit_code")).trim());
    } catch (IOException | NumberFormatException e) {
      return null;
    }
  }

  private void finish(Integer exitCode) throws IOException {
    if (stopCause == StopCause.LOG_QUOTA) {
      addState(
          "failed",
          "log_quota_exceeded",
          "Job log output exceeded the hourly quota of " + spec.logQuotaHour() + " bytes",
          null);
    } else if (stopCause == StopCause.MAX_DURATION) {
      addState("terminated", "max_duration_exceeded", "Max duration exceeded", null);
    } else if (stopCause == StopCause.USER) {
      addState("terminated", "", "", null);
    } else if (exitCode == null) {
      addState("failed", "executor_error", "The job's process ended without an exit status", null);
    } else if (exitCode == 0) {
      addState("done", "", "", 0);
    } else {
      addState("failed", "", "", exitCode);
    }
    runnerLog("INFO", "Job finished" + (exitCode == null ? "" : " with exit status " + exitCode));
    if (container != null) {
      try {
        CommandRunner.system().run(DockerCommands.remove(container), Duration.ofSeconds(60));
      } catch (IOException e) {
        runnerLog("WARNING", "cannot remove container " + container + ": " + e.getMessage());
      }
    }
    state = WAIT_LOGS_FINISHED;
    persist();
  }

  private synchronized void fail(String reason, String message) {
    runnerLog("ERROR", message);
    addState("failed", reason, message, null);
    state = WAIT_LOGS_FINISHED;
    persistQuietly();
  }

  private synchronized void addState(String name, String reason, String message, Integer exit) {
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("state", name);
    event.put("timestamp", clock.next());
    event.put("termination_reason", reason);
    event.put("termination_message", message);
    event.put("exit_status", exit);
    states.add(event);
    try {
      Files.writeString(
          dir.resolve("states.jsonl"),
          Json.write(event) + "\n",
          java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
    } catch (IOException e) {
      LOG.log(Level.WARNING, "task " + taskId + ": cannot record a job state", e);
    }
  }

  /** A line of the runner's own log ({@code diagnose} logs on the server). */
  synchronized void runnerLog(String level, String message) {
    String line = Instant.now() + " " + level + " " + message;
    try {
      runnerLogs.append(clock.next(), EventLog.line(line), -1);
    } catch (IOException e) {
      LOG.log(Level.WARNING, "task " + taskId + ": cannot write the runner log", e);
    }
  }

  private void persistQuietly() {
    try {
      persist();
    } catch (IOException e) {
      LOG.log(Level.WARNING, "task " + taskId + ": cannot save the runner state", e);
    }
  }

  private synchronized void persist() throws IOException {
    Map<String, Object> saved = new LinkedHashMap<>();
    saved.put("state", state);
    saved.put("submit", submitBody);
    saved.put("working_dir", workingDir);
    saved.put("repo_dir", repoDir);
    saved.put("container", container);
    saved.put("pid", pid);
    saved.put("pid_started", pidStarted == null ? null : pidStarted.toString());
    saved.put("started_at_ms", startedAtMs);
    saved.put("stop_cause", stopCause == null ? null : stopCause.name());
    saved.put("kill_at_ms", killAtMs);
    saved.put("kill_sent", killSent);
    AtomicFiles.write(dir.resolve("runner.json"), Json.write(saved));
    Files.setPosixFilePermissions(
        dir.resolve("runner.json"), PosixFilePermissions.fromString("rw-------"));
  }

  @SuppressWarnings("unchecked")
  private void load() throws IOException {
    Map<String, Object> saved = Json.parseObject(Files.readString(dir.resolve("runner.json")));
    state = Json.string(saved, "state");
    submitBody = (Map<String, Object>) saved.get("submit");
    spec = submitBody == null ? null : JobSpec.parse(submitBody);
    workingDir = Json.string(saved, "working_dir");
    repoDir = Json.string(saved, "repo_dir");
    container = Json.string(saved, "container");
    pid = Json.number(saved, "pid", 0);
    String started = Json.string(saved, "pid_started");
    pidStarted = started == null ? null : Instant.parse(started);
    startedAtMs = Json.number(saved, "started_at_ms", 0);
    String cause = Json.string(saved, "stop_cause");
    stopCause = cause == null ? null : StopCause.valueOf(cause);
    killAtMs = Json.number(saved, "kill_at_ms", 0);
    killSent = Json.bool(saved, "kill_sent", false);
    Path statesFile = dir.resolve("states.jsonl");
    if (Files.exists(statesFile)) {
      for (String line : Files.readAllLines(statesFile)) {
        if (!line.isBlank()) {
          Map<String, Object> event = Json.parseObject(line);
          states.add(event);
          clock.advanceTo(Json.number(event, "timestamp", 0));
        }
      }
    }
    clock.advanceTo(jobLogs.lastTimestamp());
    clock.advanceTo(runnerLogs.lastTimestamp());
    rawOffset = jobLogs.lastRawEnd();
  }

  private void resume() {
    synchronized (this) {
      if (!state.equals(SERVE_LOGS)) {
        return;
      }
      if (pid == 0) {
        fail("executor_error", "The agent restarted while the job was being prepared");
        return;
      }
      process = JobProcess.reattach(pid, pidStarted).orElse(null);
      runnerLog(
          "INFO",
          process == null
              ? "Agent restarted; the job's process has ended"
              : "Agent restarted; the job is still running (pid " + pid + ")");
    }
    startSupervisor();
  }

  @Override
  public void close() {
    closed = true;
    if (http != null) {
      http.close();
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
