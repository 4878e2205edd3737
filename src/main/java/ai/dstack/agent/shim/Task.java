package ai.dstack.agent.shim;

import ai.dstack.agent.json.Json;
import ai.dstack.agent.runner.JobRunner;
import ai.dstack.agent.ssh.JobSshServer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A task as the shim API shows it (SERVER.md §7.3): the server's submission plus its status. Here a
 * task is a job slot: its runner API and SSH endpoint on host-local ports, reported as the
 * container ports 10999 and 10022 they stand for.
 */
final class Task {
  static final int RUNNER_CONTAINER_PORT = 10999;
  static final int SSH_CONTAINER_PORT = 10022;

  final String id;
  final Map<String, Object> config;
  String status = "pending";
  String terminationReason = "";
  String terminationMessage = "";
  int runnerPort;
  int sshPort;
  List<String> addedHostKeys = new ArrayList<>();
  JobRunner runner;
  JobSshServer ssh;

  Task(String id, Map<String, Object> config) {
    this.id = id;
    this.config = config;
  }

  String name() {
    return Json.string(config, "name");
  }

  Map<String, Object> info() {
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("id", id);
    info.put("status", status);
    info.put("termination_reason", terminationReason);
    info.put("termination_message", terminationMessage);
    List<Map<String, Object>> ports = new ArrayList<>();
    if (status.equals("running")) {
      ports.add(port(runnerPort, RUNNER_CONTAINER_PORT));
      if (sshPort > 0) {
        ports.add(port(sshPort, SSH_CONTAINER_PORT));
      }
    }
    info.put("ports", ports);
    info.put("image_pull_progress", null);
    info.put("container_name", name());
    info.put("container_id", "");
    info.put("gpus_ids", List.of());
    return info;
  }

  private static Map<String, Object> port(int host, int container) {
    Map<String, Object> mapping = new LinkedHashMap<>();
    mapping.put("host", host);
    mapping.put("container", container);
    return mapping;
  }

  Map<String, Object> saved() {
    Map<String, Object> saved = new LinkedHashMap<>();
    saved.put("config", config);
    saved.put("status", status);
    saved.put("termination_reason", terminationReason);
    saved.put("termination_message", terminationMessage);
    saved.put("runner_port", runnerPort);
    saved.put("ssh_port", sshPort);
    saved.put("added_host_keys", addedHostKeys);
    return saved;
  }

  static Task restore(String id, Map<String, Object> saved) {
    Task task = new Task(id, Json.object(saved, "config"));
    task.status = Json.string(saved, "status");
    task.terminationReason = Json.string(saved, "termination_reason");
    task.terminationMessage = Json.string(saved, "termination_message");
    task.runnerPort = (int) Json.number(saved, "runner_port", 0);
    task.sshPort = (int) Json.number(saved, "ssh_port", 0);
    task.addedHostKeys = new ArrayList<>(Json.strings(saved, "added_host_keys"));
    return task;
  }
}
