package ai.dstack.server.runs.control;

import ai.dstack.server.api.JsonText;
import ai.dstack.server.fleets.control.FleetSpecs;
import ai.dstack.server.hosts.AgentClient;
import ai.dstack.server.hosts.HostException;
import ai.dstack.server.hosts.HostTarget;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A job's side of the agent protocol (SERVER.md §7.3, §7.4): the task on the host's shim API and
 * the job's runner API on the task's own port, both through the host's pooled SSH session.
 */
final class JobAgent {
  static final int RUNNER_PORT = 10999;
  static final int SSH_PORT = 10022;
  private static final String JSON = "application/json";

  private final AgentClient agent;
  private final HostTarget host;

  JobAgent(AgentClient agent, HostTarget host) {
    this.agent = agent;
    this.host = host;
  }

  /** {@code POST /api/tasks}; a task already there (a retried submit) is fine. */
  void submitTask(Map<String, Object> body) throws HostException {
    try {
      agent.post(host, "/api/tasks", JsonText.write(body));
    } catch (HostException e) {
      if (e.httpStatus() != 409) {
        throw e;
      }
    }
  }

  /** {@code GET /api/tasks/{id}}; null when the agent has no such task. */
  Map<String, Object> task(String id) throws HostException {
    try {
      return FleetSpecs.parse(agent.get(host, "/api/tasks/" + id));
    } catch (HostException e) {
      if (e.httpStatus() == 404) {
        return null;
      }
      throw e;
    }
  }

  /** Stops the task's job (TERM, KILL after {@code timeout}) and removes the task; gone is fine. */
  void terminateAndRemove(String id, String reason, String message, long timeoutSeconds)
      throws HostException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("termination_reason", reason);
    body.put("termination_message", message == null ? "" : message);
    body.put("timeout", timeoutSeconds);
    try {
      agent.send(
          host,
          agent.agentPort(),
          "POST",
          "/api/tasks/" + id + "/terminate",
          JsonText.write(body).getBytes(StandardCharsets.UTF_8),
          JSON,
          Duration.ofSeconds(timeoutSeconds + 20));
      agent.send(
          host, agent.agentPort(), "POST", "/api/tasks/" + id + "/remove", new byte[0], JSON);
    } catch (HostException e) {
      if (e.httpStatus() != 404) {
        throw e;
      }
    }
  }

  Map<String, Object> runnerHealthcheck(int port) throws HostException {
    return FleetSpecs.parse(agent.send(host, port, "GET", "/api/healthcheck", null, null));
  }

  void submitJob(int port, Map<String, Object> body) throws HostException {
    agent.send(
        host,
        port,
        "POST",
        "/api/submit",
        JsonText.write(body).getBytes(StandardCharsets.UTF_8),
        JSON);
  }

  /** {@code POST /api/upload_archive}: multipart, field {@code archive}, file name = its id. */
  void uploadArchive(int port, String archiveId, byte[] archive) throws HostException {
    String boundary = "dstack-" + UUID.randomUUID();
    ByteArrayOutputStream body = new ByteArrayOutputStream(archive.length + 256);
    body.writeBytes(
        ("--"
                + boundary
                + "\r\nContent-Disposition: form-data; name=\"archive\"; filename=\""
                + archiveId
                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            .getBytes(StandardCharsets.UTF_8));
    body.writeBytes(archive);
    body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    agent.send(
        host,
        port,
        "POST",
        "/api/upload_archive",
        body.toByteArray(),
        "multipart/form-data; boundary=" + boundary);
  }

  void uploadCode(int port, byte[] code) throws HostException {
    agent.send(host, port, "POST", "/api/upload_code", code, "application/octet-stream");
  }

  /** {@code POST /api/run}: {@code {working_dir, username}}. */
  Map<String, Object> run(int port) throws HostException {
    String answer = agent.send(host, port, "POST", "/api/run", new byte[0], JSON);
    return answer.isBlank() ? Map.of() : FleetSpecs.parse(answer);
  }

  /**
   * {@code GET /api/pull}: states and at most a page of logs after {@code timestamp}, the page
   * bounded to {@code maxBytes} of messages per stream (an extension of upstream's runner API).
   */
  Map<String, Object> pull(int port, long timestamp, long maxBytes) throws HostException {
    return FleetSpecs.parse(
        agent.send(
            host,
            port,
            "GET",
            "/api/pull?timestamp=" + timestamp + "&max_bytes=" + maxBytes,
            null,
            null));
  }

  void stop(int port) throws HostException {
    agent.send(host, port, "POST", "/api/stop", new byte[0], JSON);
  }

  /** {@code GET /api/metrics}; null when the runner does not collect them. */
  Map<String, Object> metrics(int port) throws HostException {
    try {
      return FleetSpecs.parse(agent.send(host, port, "GET", "/api/metrics", null, null));
    } catch (HostException e) {
      if (e.httpStatus() == 404) {
        return null;
      }
      throw e;
    }
  }
}
