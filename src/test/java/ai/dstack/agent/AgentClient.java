package ai.dstack.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import ai.dstack.agent.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Drives an agent's shim and runner APIs over HTTP the way the server does. */
final class AgentClient {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  record Response(int status, String body) {
    Map<String, Object> json() {
      return Json.parseObject(body);
    }
  }

  static Response get(int port, String path) throws Exception {
    return send(HttpRequest.newBuilder(uri(port, path)).GET());
  }

  static Response post(int port, String path, Object json) throws Exception {
    return send(
        HttpRequest.newBuilder(uri(port, path))
            .header("Content-Type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    json instanceof String s ? s : Json.write(json))));
  }

  static Response postBytes(int port, String path, byte[] body, String contentType)
      throws Exception {
    return send(
        HttpRequest.newBuilder(uri(port, path))
            .header("Content-Type", contentType)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  static Response uploadArchive(int port, String id, byte[] archive) throws Exception {
    String boundary = "b" + UUID.randomUUID();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(
        ("--"
                + boundary
                + "\r\nContent-Disposition: form-data; name=\"archive\"; filename=\""
                + id
                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            .getBytes(StandardCharsets.UTF_8));
    body.writeBytes(archive);
    body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    return postBytes(
        port,
        "/api/upload_archive",
        body.toByteArray(),
        "multipart/form-data; boundary=" + boundary);
  }

  private static Response send(HttpRequest.Builder request)
      throws IOException, InterruptedException {
    HttpResponse<String> response =
        HTTP.send(
            request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    return new Response(response.statusCode(), response.body());
  }

  private static URI uri(int port, String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  /** A shim task submission as the server sends it. */
  static Map<String, Object> task(String id, List<String> containerKeys) {
    Map<String, Object> task = new LinkedHashMap<>();
    task.put("id", id);
    task.put("name", "job-" + id.substring(0, 8));
    task.put("registry_username", "");
    task.put("registry_password", "");
    task.put("image_name", "dstackai/base:latest");
    task.put("container_user", "root");
    task.put("privileged", false);
    task.put("gpu", -1);
    task.put("cpu", 0);
    task.put("memory", 0);
    task.put("shm_size", 0);
    task.put("network_mode", "host");
    task.put("volumes", List.of());
    task.put("volume_mounts", List.of());
    task.put("instance_mounts", List.of());
    task.put("gpu_devices", List.of());
    task.put("host_ssh_user", "");
    task.put("host_ssh_keys", List.of());
    task.put("container_ssh_keys", containerKeys);
    return task;
  }

  /** A runner submission for a task configuration with these commands. */
  static Map<String, Object> submission(List<String> commands, Map<String, Object> jobSpecExtra) {
    Map<String, Object> configuration = new LinkedHashMap<>();
    configuration.put("type", "task");
    configuration.put("commands", commands);
    Map<String, Object> runSpec = new LinkedHashMap<>();
    runSpec.put("run_name", "test-run");
    runSpec.put("repo_id", "none");
    runSpec.put("repo_data", Map.of("repo_type", "virtual"));
    runSpec.put("configuration", configuration);
    runSpec.put("configuration_path", "task.yml");
    Map<String, Object> jobSpec = new LinkedHashMap<>();
    jobSpec.put("replica_num", 0);
    jobSpec.put("job_num", 0);
    jobSpec.put("jobs_per_replica", 1);
    jobSpec.put(
        "commands",
        List.of("/bin/sh", "-i", "-c", "upstream-preamble && " + String.join(" && ", commands)));
    jobSpec.put("env", Map.of());
    jobSpec.put("working_dir", null);
    jobSpec.put("repo_dir", "/workflow");
    jobSpec.put("repo_data", Map.of("repo_type", "virtual"));
    jobSpec.put("file_archives", List.of());
    jobSpec.putAll(jobSpecExtra);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("run", Map.of("id", UUID.randomUUID().toString(), "run_spec", runSpec));
    body.put("job_spec", jobSpec);
    body.put("job_submission", Map.of("id", UUID.randomUUID().toString()));
    body.put("cluster_info", Map.of("job_ips", List.of(), "master_job_ip", "", "gpus_per_job", 0));
    body.put("secrets", Map.of());
    body.put("repo_credentials", null);
    body.put("run_spec", runSpec);
    return body;
  }

  /** The runner port of a running task. */
  @SuppressWarnings("unchecked")
  static int port(Map<String, Object> taskInfo, int containerPort) {
    for (Object item : (List<Object>) taskInfo.get("ports")) {
      Map<String, Object> mapping = (Map<String, Object>) item;
      if (((Long) mapping.get("container")) == containerPort) {
        return ((Long) mapping.get("host")).intValue();
      }
    }
    throw new AssertionError("no port for " + containerPort + " in " + taskInfo);
  }

  /**
   * Everything the runner pulls until the job has a final state, as the server would collect it.
   */
  static Pulled pullUntilFinished(int runnerPort, Duration timeout) throws Exception {
    Pulled pulled = new Pulled();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (pulled.pullOnce(runnerPort) && pulled.finalState() != null && !pulled.hasMore) {
        return pulled;
      }
      Thread.sleep(100);
    }
    fail(
        "the job did not finish in "
            + timeout
            + "; states "
            + pulled.states
            + ", log "
            + pulled.log());
    return pulled;
  }

  static final class Pulled {
    long cursor;
    boolean hasMore = true;
    int pages;
    final List<Map<String, Object>> states = new ArrayList<>();
    final ByteArrayOutputStream jobLog = new ByteArrayOutputStream();
    final ByteArrayOutputStream runnerLog = new ByteArrayOutputStream();
    final List<Long> timestamps = new ArrayList<>();

    /** One pull from the cursor; true when the call answered. */
    @SuppressWarnings("unchecked")
    boolean pullOnce(int runnerPort) throws Exception {
      Response response = get(runnerPort, "/api/pull?timestamp=" + cursor);
      assertEquals(200, response.status(), response.body());
      Map<String, Object> body = response.json();
      pages++;
      for (Object s : (List<Object>) body.get("job_states")) {
        states.add((Map<String, Object>) s);
      }
      for (Object e : (List<Object>) body.get("job_logs")) {
        Map<String, Object> event = (Map<String, Object>) e;
        timestamps.add((Long) event.get("timestamp"));
        jobLog.writeBytes(Base64.getDecoder().decode((String) event.get("message")));
      }
      for (Object e : (List<Object>) body.get("runner_logs")) {
        runnerLog.writeBytes(
            Base64.getDecoder().decode((String) ((Map<String, Object>) e).get("message")));
      }
      cursor = (Long) body.get("last_updated");
      hasMore = (Boolean) body.get("has_more");
      return true;
    }

    Map<String, Object> finalState() {
      for (Map<String, Object> state : states) {
        String name = (String) state.get("state");
        if (!name.equals("running")) {
          return state;
        }
      }
      return null;
    }

    String log() {
      return jobLog.toString(StandardCharsets.UTF_8);
    }

    String runnerLogText() {
      return runnerLog.toString(StandardCharsets.UTF_8);
    }
  }
}
