package ai.dstack.server.instances;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.fleets.control.FleetSpecs;
import ai.dstack.server.instances.control.HostFacts;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HostFactsTest {
  private static final String GPU_HOST =
      "{\"gpu_vendor\":\"nvidia\",\"gpu_name\":\"NVIDIA H100 80GB HBM3\",\"gpu_memory\":81559,"
          + "\"gpu_count\":8,\"addresses\":[\"10.0.0.5/24\",\"fe80::1/64\"],"
          + "\"disk_size\":536870912000,\"cpus\":192,\"memory\":2147483648000}";

  private static Map<String, Object> connection(Object blocks, String internalIp) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("host", "gpu1.example.com");
    c.put("port", 2222L);
    c.put("ssh_user", "ubuntu");
    c.put("ssh_proxy", null);
    c.put("internal_ip", internalIp);
    c.put("blocks", blocks);
    return c;
  }

  @Test
  @SuppressWarnings("unchecked")
  void aGpuHostBecomesAnInstanceTypeBlocksAndProvisioningData() throws Exception {
    HostFacts.Facts facts = HostFacts.of(GPU_HOST, "amd64", connection("auto", null), "fleet-0");
    Map<String, Object> type = FleetSpecs.parse(facts.instanceType());
    Map<String, Object> resources = (Map<String, Object>) type.get("resources");
    assertEquals(192L, resources.get("cpus"));
    assertEquals(2048000L, resources.get("memory_mib"));
    assertEquals("x86", resources.get("cpu_arch"));
    List<Object> gpus = (List<Object>) resources.get("gpus");
    assertEquals(8, gpus.size());
    assertEquals(Map.of("vendor", "nvidia", "name", "H100", "memory_mib", 81559L), gpus.get(0));
    assertEquals(8, facts.totalBlocks(), "auto: one block per GPU");
    Map<String, Object> jpd = FleetSpecs.parse(facts.jobProvisioningData());
    assertEquals("remote", jpd.get("backend"));
    assertEquals("gpu1.example.com", jpd.get("hostname"));
    assertEquals("10.0.0.5", jpd.get("internal_ip"), "first IPv4 address without its prefix");
    assertEquals(2222L, jpd.get("ssh_port"));
    assertEquals("ubuntu", jpd.get("username"));
    assertEquals(true, jpd.get("dockerized"));
    assertEquals(0.0, jpd.get("price"));
    assertTrue(((String) resources.get("description")).startsWith("8xH100 (79GB), 192xCPU"));
  }

  @Test
  void blocksMustDivideTheHostAndAnInternalIpMustBeItsOwn() throws Exception {
    assertEquals(
        4, HostFacts.of(GPU_HOST, "arm64", connection(4L, "10.0.0.5"), "f-0").totalBlocks());
    HostFacts.Unusable blocks =
        assertThrows(
            HostFacts.Unusable.class,
            () -> HostFacts.of(GPU_HOST, "amd64", connection(3L, null), "f-0"));
    assertTrue(blocks.getMessage().contains("8 GPUs"), blocks.getMessage());
    HostFacts.Unusable ip =
        assertThrows(
            HostFacts.Unusable.class,
            () -> HostFacts.of(GPU_HOST, "amd64", connection(1L, "10.9.9.9"), "f-0"));
    assertTrue(ip.getMessage().contains("10.9.9.9"));
  }
}
