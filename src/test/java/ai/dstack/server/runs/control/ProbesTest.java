package ai.dstack.server.runs.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.api.ApiException;
import ai.dstack.server.api.JsonText;
import ai.dstack.server.runs.entity.JobEntity;
import jakarta.json.Json;
import jakarta.json.JsonReader;
import java.io.StringReader;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProbesTest {
  private static Map<String, Object> service(String extra) {
    String json =
        "{\"configuration\":{\"type\":\"service\",\"port\":8000,\"commands\":[\"x\"]"
            + extra
            + "}}";
    try (JsonReader reader = Json.createReader(new StringReader(json))) {
      return RunSpecs.read(reader.readValue(), List.of("body", "run_spec"));
    }
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> probes(String extra) {
    Map<String, Object> spec = RunSpecs.effective(service(extra), "ssh-rsa AAAA user\n");
    return (List<Map<String, Object>>) JobSpecs.forReplica(spec, "svc", 0).get(0).get("probes");
  }

  @Test
  void jobSpecsCarryProbesWithUpstreamsDefaults() {
    List<Map<String, Object>> probes =
        probes(
            ",\"probes\":[{\"type\":\"http\"},{\"type\":\"http\",\"url\":\"/health\","
                + "\"method\":\"post\",\"body\":\"{}\",\"headers\":[{\"name\":\"X-A\",\"value\":\"1\"}],"
                + "\"timeout\":\"1m\",\"interval\":2,\"ready_after\":3,\"until_ready\":true}]");
    assertEquals(2, probes.size());
    Map<String, Object> first = probes.get(0);
    assertEquals("/", first.get("url"));
    assertEquals("get", first.get("method"));
    assertEquals(10L, first.get("timeout"));
    assertEquals(15L, first.get("interval"));
    assertEquals(1L, first.get("ready_after"));
    assertEquals(false, first.get("until_ready"));
    assertEquals(List.of(), first.get("headers"));
    Map<String, Object> second = probes.get(1);
    assertEquals("/health", second.get("url"));
    assertEquals(60L, second.get("timeout"));
    assertEquals(2L, second.get("interval"));
    assertEquals(3L, second.get("ready_after"));
    assertEquals(true, second.get("until_ready"));
    assertEquals(List.of(Map.of("name", "X-A", "value", "1")), second.get("headers"));
    assertEquals(List.of(), probes(""), "no probes, no model: none");
  }

  @Test
  void anOpenAiModelWithoutProbesGetsAChatCompletionProbe() {
    Map<String, Object> probe = probes(",\"model\":\"llama\"").get(0);
    assertEquals("/v1/chat/completions", probe.get("url"));
    assertEquals("post", probe.get("method"));
    assertEquals(30L, probe.get("timeout"));
    assertTrue(((String) probe.get("body")).contains("\"model\":\"llama\""), probe.toString());
    assertEquals(
        "/api/chat/completions",
        probes(
                ",\"model\":{\"type\":\"chat\",\"name\":\"m\",\"format\":\"openai\",\"prefix\":\"/api/\"}")
            .get(0)
            .get("url"));
    assertEquals(List.of(), probes(",\"model\":\"m\",\"probes\":[]"), "explicit empty probes win");
  }

  @Test
  void invalidProbesAre422sAtTheProbe() {
    Map<String, String> bad =
        Map.of(
            "{\"type\":\"tcp\"}", "\"probes\",0,\"type\"]",
            "{\"type\":\"http\",\"url\":\"health\"}", "Must start with `/`",
            "{\"type\":\"http\",\"timeout\":0}", "Probe timeout cannot be shorter than 1s",
            "{\"type\":\"http\",\"interval\":0}", "Probe interval cannot be shorter than 1s",
            "{\"type\":\"http\",\"ready_after\":0}", "greater than or equal to 1",
            "{\"type\":\"http\",\"method\":\"get\",\"body\":\"x\"}",
                "Cannot set request body for the `get` method",
            "{\"type\":\"http\",\"color\":1}", "extra fields not permitted");
    bad.forEach(
        (probe, message) -> {
          ApiException e =
              assertThrows(ApiException.class, () -> service(",\"probes\":[" + probe + "]"), probe);
          assertEquals(422, e.status());
          assertTrue(e.body().toString().contains(message), e.body().toString());
        });
    ApiException twice =
        assertThrows(
            ApiException.class,
            () -> service(",\"probes\":[{\"type\":\"http\"},{\"type\":\"http\"}]"));
    assertTrue(twice.body().toString().contains("Probes must be unique"));
  }

  private static JobEntity job(List<Map<String, Object>> probes) {
    return new JobEntity(
        "j",
        "p",
        "r",
        "svc",
        0,
        0,
        "svc-0-0",
        0,
        0,
        JsonText.write(Map.of("probes", probes)),
        Instant.now());
  }

  @Test
  void aReplicaIsReadyWhenEveryProbeReachedItsReadyAfter() {
    assertTrue(Probes.ready(job(List.of()), null), "no probes: ready once running");
    JobEntity two = job(List.of(Map.of("ready_after", 2L), Map.of("ready_after", 1L)));
    assertFalse(Probes.ready(two, null), "probes not started yet");
    assertFalse(Probes.ready(two, List.of(1L, 5L)));
    assertFalse(Probes.ready(two, List.of(2L)));
    assertTrue(Probes.ready(two, List.of(2L, 1L)));
  }
}
