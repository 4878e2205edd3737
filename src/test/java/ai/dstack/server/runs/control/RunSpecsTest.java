package ai.dstack.server.runs.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.api.ApiException;
import jakarta.json.Json;
import jakarta.json.JsonReader;
import java.io.StringReader;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunSpecsTest {
  private static final String KEY = "ssh-rsa AAAA user\n";

  private static Map<String, Object> read(String json) {
    try (JsonReader reader = Json.createReader(new StringReader(json))) {
      return RunSpecs.read(reader.readValue(), List.of("body", "run_spec"));
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> resources(Map<String, Object> spec) {
    return (Map<String, Object>) RunSpecs.configuration(spec).get("resources");
  }

  @Test
  void shortFormsBecomeTheObjectsUpstreamSerializes() {
    Map<String, Object> spec =
        read(
            "{\"configuration\":{\"type\":\"task\",\"commands\":[\"python train.py\"],"
                + "\"ports\":[8000,\"8080:9000\"],\"env\":[\"A=1\",\"B=x=y\"],"
                + "\"max_duration\":\"2h\",\"stop_duration\":\"off\","
                + "\"resources\":{\"cpu\":\"4..\",\"memory\":\"16GB..64GB\",\"gpu\":\"A100:2\","
                + "\"disk\":\"200GB..\"}}}");
    Map<String, Object> configuration = RunSpecs.configuration(spec);
    assertEquals(
        List.of(
            Map.of("local_port", 8000L, "container_port", 8000L),
            Map.of("local_port", 8080L, "container_port", 9000L)),
        configuration.get("ports"));
    assertEquals(Map.of("A", "1", "B", "x=y"), configuration.get("env"));
    assertEquals(7200L, configuration.get("max_duration"));
    assertEquals("off", configuration.get("stop_duration"));
    Map<String, Object> resources = resources(spec);
    assertEquals(RunSchemas.range(4L, null), resources.get("cpu"));
    assertEquals(RunSchemas.range(16.0, 64.0), resources.get("memory"));
    @SuppressWarnings("unchecked")
    Map<String, Object> gpu = (Map<String, Object>) resources.get("gpu");
    assertEquals(List.of("A100"), gpu.get("name"));
    assertEquals(RunSchemas.range(2L, 2L), gpu.get("count"));
    assertEquals(Map.of("size", RunSchemas.range(200.0, null)), resources.get("disk"));
    assertEquals(1L, configuration.get("nodes"), "defaults fill absent fields");
    assertEquals(false, configuration.get("dstack"));
  }

  @Test
  void malformedSpecsAre422sAtTheFieldAndMissingCommandsToo() {
    ApiException badRange =
        assertThrows(
            ApiException.class,
            () ->
                read(
                    "{\"configuration\":{\"type\":\"task\",\"commands\":[\"x\"],"
                        + "\"resources\":{\"cpu\":\"8..2\"}}}"));
    assertEquals(422, badRange.status());
    assertTrue(
        badRange
            .body()
            .toString()
            .contains("[\"body\",\"run_spec\",\"configuration\",\"resources\",\"cpu\"]"),
        badRange.body().toString());
    ApiException noCommands =
        assertThrows(ApiException.class, () -> read("{\"configuration\":{\"type\":\"task\"}}"));
    assertTrue(noCommands.body().toString().contains("Either `commands` or `image` must be set"));
    ApiException unknownType =
        assertThrows(ApiException.class, () -> read("{\"configuration\":{\"type\":\"job\"}}"));
    assertEquals(422, unknownType.status());
  }

  @Test
  void theEffectiveSpecHasUpstreamsDefaultsAndTheEchoKeepsTheClientsValues() {
    Map<String, Object> spec =
        read(
            "{\"run_name\":\"train-1\",\"configuration\":{\"type\":\"task\",\"commands\":[\"x\"]}}");
    Map<String, Object> effective = RunSpecs.effective(spec, KEY);
    assertEquals("none", effective.get("repo_id"));
    assertEquals(Map.of("repo_type", "virtual"), effective.get("repo_data"));
    assertEquals(KEY, effective.get("ssh_key_pub"));
    assertEquals(0L, RunSpecs.configuration(effective).get("priority"));
    assertEquals("nvidia", ((Map<?, ?>) resources(effective).get("gpu")).get("vendor"));
    assertNull(spec.get("ssh_key_pub"), "the request's own spec is not changed");
    assertNull(RunSpecs.configuration(spec).get("priority"));
    assertThrows(
        ApiException.class,
        () ->
            RunSpecs.effective(
                read(
                    "{\"run_name\":\"Bad_Name\",\"configuration\":{\"type\":\"task\",\"commands\":[\"x\"]}}"),
                KEY));
  }

  @Test
  void onlyInPlaceFieldsLetAnActiveRunBeUpdated() {
    Map<String, Object> a =
        RunSpecs.effective(
            read("{\"configuration\":{\"type\":\"task\",\"commands\":[\"x\"]}}"), KEY);
    Map<String, Object> priority =
        RunSpecs.effective(
            read("{\"configuration\":{\"type\":\"task\",\"commands\":[\"x\"],\"priority\":50}}"),
            KEY);
    Map<String, Object> commands =
        RunSpecs.effective(
            read("{\"configuration\":{\"type\":\"task\",\"commands\":[\"y\"]}}"), KEY);
    assertTrue(RunSpecs.updatableInPlace(a, a));
    assertTrue(RunSpecs.updatableInPlace(a, priority));
    assertFalse(RunSpecs.updatableInPlace(a, commands));
  }

  @Test
  void jobSpecsWrapCommandsAsUpstreamDoes() {
    Map<String, Object> base =
        RunSpecs.effective(
            read(
                "{\"configuration\":{\"type\":\"task\",\"commands\":[\"echo hello\",\"sleep 1 &\"],"
                    + "\"ports\":[8000],\"nodes\":2}}"),
            KEY);
    List<Map<String, Object>> jobs = JobSpecs.forReplica(base, "hello", 0);
    assertEquals(2, jobs.size());
    assertEquals("hello-1-0", jobs.get(1).get("job_name"));
    @SuppressWarnings("unchecked")
    List<String> commands = (List<String>) jobs.get(0).get("commands");
    assertEquals("/bin/bash", commands.get(0));
    assertTrue(commands.get(3).startsWith("eval $(echo 'export DSTACK_VENV_DIR=/dstack/venv'"));
    assertTrue(commands.get(3).endsWith("&& echo hello && { sleep 1 & }"), commands.get(3));
    assertEquals(true, ((Map<?, ?>) jobs.get(0).get("requirements")).get("multinode"));
    assertEquals(
        List.of(Map.of("port", 8000L, "map_to_port", 8000L, "app_name", "app_0")),
        ((List<?>) jobs.get(0).get("app_specs"))
            .stream()
                .map(
                    m ->
                        Map.of(
                            "port",
                            ((Map<?, ?>) m).get("port"),
                            "map_to_port",
                            ((Map<?, ?>) m).get("map_to_port"),
                            "app_name",
                            ((Map<?, ?>) m).get("app_name")))
                .toList());
    Map<String, Object> image =
        RunSpecs.effective(
            read(
                "{\"configuration\":{\"type\":\"task\",\"image\":\"python:3.12\","
                    + "\"entrypoint\":\"python -c 'print(1)'\",\"commands\":[\"--x\"]}}"),
            KEY);
    assertEquals(
        List.of("python", "-c", "print(1)", "--x"),
        JobSpecs.forReplica(image, null, 0).get(0).get("commands"));
    assertEquals("dry-run-0-0", JobSpecs.forReplica(image, null, 0).get(0).get("job_name"));
  }
}
