package ai.dstack.agent.shim;

import ai.dstack.agent.AgentSettings;
import ai.dstack.agent.http.HttpException;
import ai.dstack.agent.io.AtomicFiles;
import ai.dstack.agent.json.Json;
import ai.dstack.agent.runner.JobRunner;
import ai.dstack.agent.ssh.JobSshServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The agent's tasks, each kept in {@code <home>/tasks/<id>/} and found again after a restart. */
public final class Tasks implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(Tasks.class.getName());
  private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private final AgentSettings settings;
  private final Path root;
  private final Map<String, Task> tasks = new LinkedHashMap<>();
  private final AuthorizedKeys hostKeys;

  public Tasks(AgentSettings settings) throws IOException {
    this.settings = settings;
    this.root = settings.home().resolve("tasks");
    this.hostKeys = new AuthorizedKeys(settings.userHome());
    Files.createDirectories(root);
    restoreAll();
  }

  private void restoreAll() throws IOException {
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path dir : dirs.sorted().toList()) {
        Path file = dir.resolve("task.json");
        if (!Files.exists(file)) {
          continue;
        }
        String id = dir.getFileName().toString();
        try {
          Task task = Task.restore(id, Json.parseObject(Files.readString(file)));
          if (task.status.equals("running")) {
            task.runner = JobRunner.restore(id, dir, settings, task.config, task.runnerPort);
            task.ssh = startSsh(task, dir, task.sshPort);
          }
          tasks.put(id, task);
          LOG.info("task " + id + " restored (" + task.status + ")");
        } catch (IOException | RuntimeException e) {
          LOG.log(Level.WARNING, "task " + id + " could not be restored", e);
        }
      }
    }
  }

  public synchronized List<Task> list() {
    return new ArrayList<>(tasks.values());
  }

  public synchronized Task get(String id) {
    return tasks.get(id);
  }

  public synchronized Task submit(Map<String, Object> config) throws IOException {
    String id = Json.string(config, "id");
    if (id == null || id.isEmpty()) {
      throw new HttpException(400, "empty id");
    }
    if (!SAFE_ID.matcher(id).matches()) {
      throw new HttpException(400, "invalid id " + id);
    }
    String name = Json.string(config, "name");
    if (name == null || name.isEmpty()) {
      throw new HttpException(400, "empty name");
    }
    String image = Json.string(config, "image_name");
    if (image == null || image.isEmpty()) {
      throw new HttpException(400, "empty image_name");
    }
    if (tasks.containsKey(id)) {
      throw new HttpException(409, "task " + id + " is already submitted");
    }
    Path dir = root.resolve(id);
    Files.createDirectories(dir.resolve("workdir"));
    Task task = new Task(id, config);
    try {
      task.runner = JobRunner.create(id, dir, settings, config);
      task.runnerPort = task.runner.port();
      task.ssh = startSsh(task, dir, 0);
      task.sshPort = task.ssh == null ? 0 : task.ssh.port();
      String hostUser = Json.string(config, "host_ssh_user");
      if (hostUser == null || hostUser.isEmpty() || hostUser.equals(settings.userName())) {
        task.addedHostKeys.addAll(hostKeys.add(Json.strings(config, "host_ssh_keys")));
      }
      task.status = "running";
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.WARNING, "task " + id + " could not be started", e);
      closeParts(task);
      task.status = "terminated";
      task.terminationReason = "creating_container_error";
      task.terminationMessage = e.getMessage() == null ? e.toString() : e.getMessage();
    }
    tasks.put(id, task);
    save(task);
    LOG.info("task " + id + " (" + name + ") submitted: " + task.status);
    return task;
  }

  private JobSshServer startSsh(Task task, Path dir, int port) {
    try {
      List<String> keys = new ArrayList<>(Json.strings(task.config, "container_ssh_keys"));
      String clusterKey = task.runner.clusterPublicKey();
      if (clusterKey != null) {
        keys.add(clusterKey);
      }
      JobSshServer ssh =
          JobSshServer.start(
              new JobSshServer.Config(
                  "127.0.0.1",
                  port,
                  settings.home().resolve("ssh_host_key"),
                  settings.userName(),
                  dir.resolve("workdir"),
                  dir.resolve("env.sh"),
                  keys,
                  Map.of(Task.RUNNER_CONTAINER_PORT, task.runner.port())));
      task.runner.connectionTracker(ssh::noConnectionsSecs);
      task.runner.jobSshKeys(ssh::addAuthorizedKeys);
      return ssh;
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.WARNING, "task " + task.id + ": no SSH endpoint: " + e.getMessage());
      return null;
    }
  }

  /** Stops the task's job (TERM, then KILL after {@code timeoutSeconds}) and ends the task. */
  public Task terminate(String id, String reason, String message, long timeoutSeconds)
      throws IOException {
    Task task = require(id);
    JobRunner runner;
    synchronized (this) {
      runner = task.runner;
    }
    if (runner != null) {
      runner.terminate(timeoutSeconds);
    }
    synchronized (this) {
      closeParts(task);
      if (!task.status.equals("terminated") || task.terminationReason.isEmpty()) {
        task.terminationReason = reason == null ? "" : reason;
        task.terminationMessage = message == null ? "" : message;
      }
      task.status = "terminated";
      save(task);
    }
    LOG.info("task " + id + " terminated (" + reason + ")");
    return task;
  }

  public synchronized void remove(String id) throws IOException {
    Task task = require(id);
    if (!task.status.equals("terminated")) {
      throw new HttpException(409, "task " + id + " is not terminated");
    }
    hostKeys.remove(task.addedHostKeys);
    tasks.remove(id);
    try (Stream<Path> walk = Files.walk(root.resolve(id))) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
    LOG.info("task " + id + " removed");
  }

  private synchronized Task require(String id) {
    Task task = tasks.get(id);
    if (task == null) {
      throw new HttpException(404, "task " + id + " not found");
    }
    return task;
  }

  private static void closeParts(Task task) {
    if (task.ssh != null) {
      task.ssh.close();
      task.ssh = null;
    }
    if (task.runner != null) {
      task.runner.close();
      task.runner = null;
    }
  }

  private void save(Task task) throws IOException {
    AtomicFiles.write(root.resolve(task.id).resolve("task.json"), Json.write(task.saved()));
  }

  /** Closes the APIs; jobs keep running and are found again by the next agent. */
  @Override
  public synchronized void close() {
    tasks.values().forEach(Tasks::closeParts);
  }
}
