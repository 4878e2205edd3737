package ai.dstack.server.runs.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.api.JsonText;
import ai.dstack.server.instances.entity.InstanceEntity;
import ai.dstack.server.instances.entity.InstanceStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OffersTest {
  private static InstanceEntity host(
      String name, int cpus, long memoryMib, int gpus, int blocks, int busy) {
    InstanceEntity instance =
        new InstanceEntity(name, "p", "f", name, 0, "10.0.0.1", "{}", Instant.EPOCH);
    List<Object> gpuList = new ArrayList<>();
    for (int i = 0; i < gpus; i++) {
      gpuList.add(Map.of("vendor", "nvidia", "name", "A100", "memory_mib", 81920L));
    }
    Map<String, Object> resources = new LinkedHashMap<>();
    resources.put("cpus", (long) cpus);
    resources.put("memory_mib", memoryMib);
    resources.put("gpus", gpuList);
    resources.put("disk", Map.of("size_mib", 100L * 1024));
    instance.setInstanceType(JsonText.write(Map.of("name", "ssh", "resources", resources)));
    instance.setTotalBlocks(blocks);
    instance.setStatus(busy > 0 ? InstanceStatus.BUSY : InstanceStatus.IDLE);
    instance.setBusyBlocks(busy);
    return instance;
  }

  private static Map<String, Object> wants(Object cpu, Object memory, Object gpu, Object disk) {
    Map<String, Object> resources = new LinkedHashMap<>();
    resources.put("cpu", cpu);
    resources.put("memory", memory);
    resources.put("gpu", gpu);
    resources.put("disk", disk);
    Map<String, Object> requirements = new LinkedHashMap<>();
    requirements.put("resources", resources);
    requirements.put("spot", false);
    return requirements;
  }

  private static Map<String, Object> gpus(long min, String name) {
    Map<String, Object> gpu = new LinkedHashMap<>();
    gpu.put("vendor", "nvidia");
    gpu.put("name", name == null ? null : List.of(name));
    gpu.put("count", RunSchemas.range(min, null));
    return gpu;
  }

  @Test
  void aJobTakesTheFewestBlocksThatFitAndIdleHostsComeFirst() {
    InstanceEntity shared = host("shared", 8, 32 * 1024, 4, 4, 1);
    InstanceEntity idle = host("idle", 2, 8 * 1024, 0, 1, 0);
    List<Offers.Offer> offers =
        Offers.match(
            List.of(shared, idle),
            wants(RunSchemas.range(2L, null), RunSchemas.range(8.0, null), gpus(0, null), null));
    assertEquals(2, offers.size());
    assertEquals("idle", offers.get(0).instance().getName(), "idle hosts first");
    assertEquals(1, offers.get(1).blocks(), "a quarter of the shared host has 2 CPUs and 8 GB");
    assertEquals(2L, offers.get(1).resources().get("cpus"));
    assertEquals(1, ((List<?>) offers.get(1).resources().get("gpus")).size());

    List<Offers.Offer> big =
        Offers.match(
            List.of(shared),
            wants(RunSchemas.range(4L, null), RunSchemas.range(8.0, null), gpus(2, "a100"), null));
    assertEquals(2, big.get(0).blocks(), "two blocks for 4 CPUs and 2 GPUs");
    assertEquals("busy", big.get(0).view().get("availability"));
  }

  @Test
  void hostsThatCannotFitOfferNothing() {
    InstanceEntity shared = host("shared", 8, 32 * 1024, 4, 4, 3);
    assertTrue(
        Offers.match(
                List.of(shared),
                wants(RunSchemas.range(4L, null), RunSchemas.range(8.0, null), gpus(0, null), null))
            .isEmpty(),
        "one free block has only 2 CPUs");
    InstanceEntity plain = host("plain", 4, 16 * 1024, 0, 1, 0);
    assertTrue(
        Offers.match(
                List.of(plain),
                wants(RunSchemas.range(1L, null), RunSchemas.range(1.0, null), gpus(1, null), null))
            .isEmpty(),
        "no GPU");
    assertTrue(
        Offers.match(
                List.of(plain),
                wants(
                    RunSchemas.range(1L, null),
                    RunSchemas.range(1.0, null),
                    gpus(0, null),
                    Map.of("size", RunSchemas.range(500.0, null))))
            .isEmpty(),
        "too little disk");
    assertTrue(
        Offers.match(
                List.of(plain),
                wants(RunSchemas.range(1L, 2L), RunSchemas.range(1.0, null), gpus(0, null), null))
            .isEmpty(),
        "more CPUs than the job's maximum");
  }
}
