package ai.dstack.server.instances.control;

import ai.dstack.server.config.schema.PlainTree;
import ai.dstack.server.fleets.control.FleetSpecs;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a deployed host's {@code host_info.json} means for its instance (SERVER.md §7.1): the
 * instance type with its resources, the blocks it is split into, and the provisioning data jobs are
 * reached with.
 */
public final class HostFacts {
  private static final long MIB = 1024L * 1024L;

  private HostFacts() {}

  /** A host that cannot be used as configured; ends the instance with {@code error}. */
  public static final class Unusable extends Exception {
    public Unusable(String message) {
      super(message);
    }
  }

  public record Facts(String instanceType, String jobProvisioningData, int totalBlocks) {}

  /**
   * @param connection the instance's {@code remote_connection_info} (host, port, user, proxy,
   *     internal_ip, blocks)
   */
  @SuppressWarnings("unchecked")
  public static Facts of(
      String hostInfoJson, String arch, Map<String, Object> connection, String instanceName)
      throws Unusable {
    Map<String, Object> info = FleetSpecs.parse(hostInfoJson);
    long cpus = number(info, "cpus");
    long memoryMib = number(info, "memory") / MIB;
    long diskMib = number(info, "disk_size") / MIB;
    long gpuCount = number(info, "gpu_count");
    String gpuVendor = (String) info.getOrDefault("gpu_vendor", "none");
    List<Object> gpus = new ArrayList<>();
    for (int i = 0; i < gpuCount; i++) {
      Map<String, Object> gpu = new LinkedHashMap<>();
      gpu.put("vendor", gpuVendor);
      gpu.put("name", gpuName((String) info.get("gpu_name")));
      gpu.put("memory_mib", number(info, "gpu_memory"));
      gpus.add(gpu);
    }
    Map<String, Object> resources = new LinkedHashMap<>();
    resources.put("cpu_arch", "arm64".equals(arch) ? "arm" : "x86");
    resources.put("cpus", cpus);
    resources.put("memory_mib", memoryMib);
    resources.put("gpus", gpus);
    resources.put("spot", false);
    resources.put("disk", Map.of("size_mib", diskMib));
    resources.put("description", description(cpus, memoryMib, diskMib, gpuCount, gpus));
    Map<String, Object> type = new LinkedHashMap<>();
    type.put("name", "ssh");
    type.put("resources", resources);

    int blocks = blocks(connection.get("blocks"), cpus, gpuCount);
    String internalIp =
        internalIp(
            (String) connection.get("host"),
            (String) connection.get("internal_ip"),
            (List<Object>) info.getOrDefault("addresses", List.of()));

    Map<String, Object> jpd = new LinkedHashMap<>();
    jpd.put("backend", "remote");
    jpd.put("instance_type", type);
    jpd.put("instance_id", instanceName);
    jpd.put("hostname", connection.get("host"));
    jpd.put("internal_ip", internalIp);
    jpd.put("region", "remote");
    jpd.put("availability_zone", null);
    jpd.put("reservation", null);
    jpd.put("price", 0.0);
    jpd.put("username", connection.get("ssh_user"));
    jpd.put("ssh_port", connection.get("port"));
    jpd.put("dockerized", true);
    jpd.put("ssh_proxy", connection.get("ssh_proxy"));
    jpd.put("backend_data", null);
    return new Facts(PlainTree.toJson(type).toString(), PlainTree.toJson(jpd).toString(), blocks);
  }

  /** Upstream normalizes vendor names away: {@code NVIDIA H100 80GB HBM3} → {@code H100}. */
  static String gpuName(String raw) {
    if (raw == null || raw.isBlank()) {
      return "";
    }
    String name = raw.strip().replaceFirst("(?i)^(nvidia|amd|instinct)\\s+", "");
    name = name.replaceFirst("(?i)^(geforce|tesla|instinct)\\s+", "");
    String[] words = name.split("\\s+");
    return words[0].toUpperCase(Locale.ROOT).equals(words[0]) ? words[0] : name;
  }

  private static int blocks(Object configured, long cpus, long gpuCount) throws Unusable {
    long divisor = gpuCount > 0 ? gpuCount : cpus;
    if (configured == null || "auto".equals(configured)) {
      return (int) Math.max(1, divisor);
    }
    long blocks = ((Number) configured).longValue();
    if (blocks < 1 || divisor % blocks != 0) {
      throw new Unusable(
          "Cannot split the host into "
              + blocks
              + " blocks: "
              + (gpuCount > 0 ? gpuCount + " GPUs" : cpus + " CPUs")
              + " are not divisible by it");
    }
    return (int) blocks;
  }

  private static String internalIp(String hostname, String configured, List<Object> addresses)
      throws Unusable {
    List<String> ips = new ArrayList<>();
    for (Object address : addresses) {
      String text = String.valueOf(address);
      ips.add(text.contains("/") ? text.substring(0, text.indexOf('/')) : text);
    }
    if (configured != null) {
      if (!ips.contains(configured)) {
        throw new Unusable(
            "internal_ip " + configured + " is not among the host's addresses " + ips);
      }
      return configured;
    }
    if (ips.contains(hostname)) {
      return hostname;
    }
    return ips.stream()
        .filter(ip -> !ip.contains(":"))
        .findFirst()
        .orElse(ips.isEmpty() ? null : ips.get(0));
  }

  private static String description(
      long cpus, long memoryMib, long diskMib, long gpuCount, List<Object> gpus) {
    String text =
        cpus
            + "xCPU, "
            + Math.round(memoryMib / 1024.0)
            + "GB, "
            + String.format(Locale.ROOT, "%.1f", diskMib / 1024.0)
            + "GB (disk)";
    if (gpuCount > 0) {
      @SuppressWarnings("unchecked")
      Map<String, Object> gpu = (Map<String, Object>) gpus.get(0);
      text =
          gpuCount
              + "x"
              + gpu.get("name")
              + " ("
              + ((Number) gpu.get("memory_mib")).longValue() / 1024
              + "GB), "
              + text;
    }
    return text;
  }

  private static long number(Map<String, Object> info, String key) {
    Object value = info.get(key);
    return value instanceof Number n ? n.longValue() : 0;
  }
}
