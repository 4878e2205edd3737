package ai.dstack.server.it;

import static ai.dstack.server.it.Expect.accessDenied;
import static ai.dstack.server.it.Expect.clientError;
import static ai.dstack.server.it.Expect.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code GET /api/project/{p}/metrics/job/{run_name}} over runs, jobs and points written straight
 * into the server's database (the runner is not involved).
 */
@ExtendWith(SharedServer.class)
class JobMetricsApiIT {
  private static final long T0 = 1_767_225_600_000_000L; // 2026-01-01T00:00:00Z in microseconds
  private static final String JPD =
      "{\"instance_type\":{\"name\":\"ssh\",\"resources\":{\"cpus\":4,\"memory_mib\":8192,"
          + "\"gpus\":[{\"name\":\"A10\",\"memory_mib\":24576},{\"name\":\"A10\","
          + "\"memory_mib\":24576}],\"spot\":false,\"disk\":{\"size_mib\":102400}}}}";

  private final Api api;
  private final DstackServer server;
  private String project;
  private String projectId;
  private String userId;

  JobMetricsApiIT(Api api, DstackServer server) {
    this.api = api;
    this.server = server;
  }

  @BeforeEach
  void project() {
    project = Api.uniqueName("met");
    ok(api.createProject(api.adminToken(), project));
    projectId = ok(api.post("/api/projects/" + project + "/get", null)).getString("project_id");
    userId = ok(api.post("/api/users/get_my_user", null)).getString("id");
  }

  private Connection db() throws SQLException {
    String url = server.jdbcUrl();
    return DriverManager.getConnection(
        url.startsWith("jdbc:postgresql") ? url + "&stringtype=unspecified" : url);
  }

  private String run(String name, boolean deleted) throws SQLException {
    String id = UUID.randomUUID().toString();
    try (Connection c = db();
        PreparedStatement st =
            c.prepareStatement(
                "INSERT INTO runs (id, project_id, user_id, run_name, submitted_at,"
                    + " last_processed_at, status, run_spec, deleted)"
                    + " VALUES (?, ?, ?, ?, ?, ?, 'RUNNING', '{}', ?)")) {
      st.setString(1, id);
      st.setString(2, projectId);
      st.setString(3, userId);
      st.setString(4, name);
      st.setString(5, "2026-01-01T00:00:00.000000Z");
      st.setString(6, "2026-01-01T00:00:00.000000Z");
      st.setBoolean(7, deleted);
      st.executeUpdate();
    }
    return id;
  }

  private String job(String runId, String runName, int submission, String jpd) throws SQLException {
    String id = UUID.randomUUID().toString();
    try (Connection c = db();
        PreparedStatement st =
            c.prepareStatement(
                "INSERT INTO jobs (id, project_id, run_id, run_name, job_num, job_name,"
                    + " replica_num, submission_num, submitted_at, last_processed_at, status,"
                    + " job_spec_data, job_provisioning_data)"
                    + " VALUES (?, ?, ?, ?, 0, ?, 0, ?, ?, ?, 'RUNNING', '{}', ?)")) {
      st.setString(1, id);
      st.setString(2, projectId);
      st.setString(3, runId);
      st.setString(4, runName);
      st.setString(5, runName + "-0-0");
      st.setInt(6, submission);
      st.setString(7, "2026-01-01T00:00:00.000000Z");
      st.setString(8, "2026-01-01T00:00:00.000000Z");
      st.setString(9, jpd);
      st.executeUpdate();
    }
    return id;
  }

  private void point(
      String jobId, long timestampMicro, long cpuMicro, String gpuMemory, String util)
      throws SQLException {
    try (Connection c = db();
        PreparedStatement st =
            c.prepareStatement(
                "INSERT INTO job_metrics_points (id, job_id, timestamp_micro, cpu_usage_micro,"
                    + " memory_usage_bytes, memory_working_set_bytes, gpus_memory_usage_bytes,"
                    + " gpus_util_percent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
      st.setString(1, UUID.randomUUID().toString());
      st.setString(2, jobId);
      st.setLong(3, timestampMicro);
      st.setLong(4, cpuMicro);
      st.setLong(5, 1000 + timestampMicro % 1000);
      st.setLong(6, 500);
      st.setString(7, gpuMemory);
      st.setString(8, util);
      st.executeUpdate();
    }
  }

  private Api.Reply get(String runName, String query) {
    return api.send(
        "GET",
        "/api/project/" + project + "/metrics/job/" + runName + (query == null ? "" : "?" + query),
        api.adminToken(),
        null,
        Map.of("X-API-VERSION", "0.20.29"));
  }

  /** name → values, in the server's order. */
  private static Map<String, List<Object>> series(JsonObject metrics) {
    Map<String, List<Object>> byName = new LinkedHashMap<>();
    for (JsonObject metric : metrics.getJsonArray("metrics").getValuesAs(JsonObject.class)) {
      List<Object> values =
          metric.getJsonArray("values").stream().map(v -> (Object) v.toString()).toList();
      byName.put(metric.getString("name"), values);
    }
    return byName;
  }

  @Test
  void latestSubmissionSeriesAsUpstreamComputesThem() throws SQLException {
    String runId = run("train", false);
    String old = job(runId, "train", 0, JPD);
    point(old, T0, 0, "[9,9]", "[9,9]");
    point(old, T0 + 10_000_000, 99_000_000, "[9,9]", "[9,9]");
    String latest = job(runId, "train", 1, JPD);
    point(latest, T0, 0, "[100,200]", "[10,20]");
    point(latest, T0 + 10_000_000, 5_000_000, "[110,210]", "[11,21]"); // 50 %
    point(latest, T0 + 20_000_000, 25_000_000, "[120,220]", "[12,22]"); // 200 %

    JsonObject one = ok(get("train", null));
    Map<String, List<Object>> series = series(one);
    assertEquals(
        List.of(
            "cpu_usage_percent",
            "memory_usage_bytes",
            "memory_working_set_bytes",
            "cpus_detected_num",
            "memory_total_bytes",
            "gpus_detected_num",
            "gpu_memory_total_bytes",
            "gpu_memory_usage_bytes_gpu0",
            "gpu_memory_usage_bytes_gpu1",
            "gpu_util_percent_gpu0",
            "gpu_util_percent_gpu1"),
        List.copyOf(series.keySet()));
    assertEquals(List.of("200"), series.get("cpu_usage_percent"));
    assertEquals(List.of("4"), series.get("cpus_detected_num"));
    assertEquals(List.of(String.valueOf(8192L * 1024 * 1024)), series.get("memory_total_bytes"));
    assertEquals(List.of("2"), series.get("gpus_detected_num"));
    assertEquals(
        List.of(String.valueOf(24576L * 1024 * 1024)), series.get("gpu_memory_total_bytes"));
    assertEquals(List.of("220"), series.get("gpu_memory_usage_bytes_gpu1"));
    assertEquals(List.of("12"), series.get("gpu_util_percent_gpu0"));
    JsonObject first = one.getJsonArray("metrics").getJsonObject(0);
    assertEquals(List.of("name", "timestamps", "values"), List.copyOf(first.keySet()));
    assertEquals(
        Json.createArrayBuilder().add("2026-01-01T00:00:20+00:00").build(),
        first.getJsonArray("timestamps"));

    Map<String, List<Object>> all = series(ok(get("train", "limit=10")));
    assertEquals(List.of("200", "50"), all.get("cpu_usage_percent"), "newest first");

    JsonArray afterTen =
        ok(get("train", "limit=10&after=2026-01-01T00:00:10Z"))
            .getJsonArray("metrics")
            .getJsonObject(0)
            .getJsonArray("timestamps");
    assertEquals(Json.createArrayBuilder().add("2026-01-01T00:00:20+00:00").build(), afterTen);
    Map<String, List<Object>> beforeTwenty =
        series(ok(get("train", "limit=10&before=2026-01-01T00:00:20Z")));
    assertEquals(List.of("50"), beforeTwenty.get("cpu_usage_percent"));

    assertEquals(
        Json.createObjectBuilder().add("metrics", Json.createArrayBuilder()).build(),
        ok(get("train", "limit=10&after=2026-01-01T00:00:20Z")),
        "one point is not enough for a CPU percentage");
  }

  @Test
  void withoutGpusOrProvisioningDataOnlyTheMeasuredSeriesAndZeroGpus() throws SQLException {
    String runId = run("cpu-only", false);
    String job = job(runId, "cpu-only", 0, null);
    point(job, T0, 0, "[]", "[]");
    point(job, T0 + 1_000_000, 250_000, "[]", "[]");
    Map<String, List<Object>> series = series(ok(get("cpu-only", null)));
    assertEquals(
        List.of(
            "cpu_usage_percent",
            "memory_usage_bytes",
            "memory_working_set_bytes",
            "gpus_detected_num"),
        List.copyOf(series.keySet()));
    assertEquals(List.of("25"), series.get("cpu_usage_percent"));
    assertEquals(List.of("0"), series.get("gpus_detected_num"));
  }

  @Test
  void deletedRunsOnlyByIdAndMissingJobsAre400() throws SQLException {
    String runId = run("gone", true);
    String job = job(runId, "gone", 0, null);
    point(job, T0, 0, "[]", "[]");
    point(job, T0 + 1_000_000, 0, "[]", "[]");
    clientError(get("gone", null), "resource_not_exists", "Found no job with given parameters");
    assertEquals(4, ok(get("gone", "run_id=" + runId)).getJsonArray("metrics").size());
    clientError(
        get("gone", "run_id=" + runId + "&replica_num=1"),
        "resource_not_exists",
        "Found no job with given parameters");
    clientError(get("nothing", null), "resource_not_exists", "Found no job with given parameters");
  }

  @Test
  void badQueryParametersAre422AndNonMembers403() {
    Expect.assertBody(
        get("x", "replica_num=abc"),
        422,
        Expect.object(
            "detail",
            Json.createArrayBuilder()
                .add(
                    Expect.object(
                        "loc",
                        List.of("query", "replica_num"),
                        "msg",
                        "value is not a valid integer",
                        "type",
                        "type_error.integer"))
                .build()));
    JsonObject badId = get("x", "run_id=nope").object().getJsonArray("detail").getJsonObject(0);
    assertEquals("type_error.uuid", badId.getString("type"));
    JsonObject badTime =
        get("x", "after=yesterday").object().getJsonArray("detail").getJsonObject(0);
    assertEquals("value_error.datetime", badTime.getString("type"));

    String token = api.createUser(Api.uniqueName("metuser"), "user");
    Api.Reply denied =
        api.send(
            "GET",
            "/api/project/" + project + "/metrics/job/x",
            token,
            null,
            Map.of("X-API-VERSION", "0.20.29"));
    accessDenied(denied);
  }
}
