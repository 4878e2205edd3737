package ai.dstack.server.runs.control;

import ai.dstack.server.fleets.control.FleetSpecs;
import ai.dstack.server.instances.entity.InstanceEntity;
import ai.dstack.server.instances.entity.InstanceStatus;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which fleet instances can take a job (SERVER.md §6.4 step 2): an instance offers its free blocks,
 * and a job takes the fewest blocks whose share of the host (CPUs, memory, GPUs; the disk whole)
 * satisfies the job's resources.
 */
public final class Offers {
  private static final double MIB_PER_GB = 1024.0;

  private Offers() {}

  /** An instance able to take the job with {@code blocks} of its {@code totalBlocks}. */
  public record Offer(
      InstanceEntity instance, int blocks, int totalBlocks, Map<String, Object> resources) {
    public boolean idle() {
      return instance.getStatus() == InstanceStatus.IDLE;
    }

    /** The offer as {@code InstanceOfferWithAvailability} (API.md §3.4). */
    public Map<String, Object> view() {
      Map<String, Object> type = new LinkedHashMap<>();
      Map<String, Object> instanceType = FleetSpecs.parse(instance.getInstanceType());
      type.put("name", instanceType.get("name"));
      type.put("resources", resources);
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("backend", "remote");
      out.put("instance", type);
      out.put("region", instance.getRegion() == null ? "remote" : instance.getRegion());
      out.put("price", instance.getPrice() == null ? 0.0 : instance.getPrice());
      out.put("backend_data", Map.of());
      out.put("availability", idle() ? "idle" : "busy");
      out.put("availability_zones", null);
      out.put("instance_runtime", "shim");
      out.put("blocks", (long) blocks);
      out.put("total_blocks", (long) totalBlocks);
      return out;
    }
  }

  /** Offers of the given instances for a job's requirements, idle ones and smaller ones first. */
  public static List<Offer> match(
      List<InstanceEntity> instances, Map<String, Object> requirements) {
    List<Offer> offers = new ArrayList<>();
    for (InstanceEntity instance : instances) {
      Offer offer = offer(instance, requirements);
      if (offer != null) {
        offers.add(offer);
      }
    }
    offers.sort(
        Comparator.comparing((Offer o) -> !o.idle())
            .thenComparingInt(Offer::blocks)
            .thenComparing(o -> o.instance().getCreatedAt()));
    return offers;
  }

  @SuppressWarnings("unchecked")
  static Offer offer(InstanceEntity instance, Map<String, Object> requirements) {
    if ((instance.getStatus() != InstanceStatus.IDLE && instance.getStatus() != InstanceStatus.BUSY)
        || instance.isUnreachable()
        || instance.isDeleted()
        || instance.getInstanceType() == null
        || instance.getTotalBlocks() == null) {
      return null;
    }
    if (Boolean.TRUE.equals(requirements.get("spot"))) {
      return null;
    }
    Object maxPrice = requirements.get("max_price");
    double price = instance.getPrice() == null ? 0.0 : instance.getPrice();
    if (maxPrice instanceof Number max && price > max.doubleValue()) {
      return null;
    }
    Map<String, Object> host =
        (Map<String, Object>) FleetSpecs.parse(instance.getInstanceType()).get("resources");
    Map<String, Object> wanted = (Map<String, Object>) requirements.get("resources");
    int total = instance.getTotalBlocks();
    int free = total - instance.getBusyBlocks();
    for (int blocks = 1; blocks <= free; blocks++) {
      Map<String, Object> share = share(host, blocks, total);
      if (share != null && fits(share, wanted)) {
        return new Offer(instance, blocks, total, share);
      }
    }
    return null;
  }

  /** The resources of {@code blocks} of {@code total} blocks; null if GPUs do not split evenly. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> share(Map<String, Object> host, int blocks, int total) {
    long cpus = number(host.get("cpus"));
    long memory = number(host.get("memory_mib"));
    List<Object> gpus = (List<Object>) host.getOrDefault("gpus", List.of());
    if (gpus.size() % total != 0 || cpus * blocks % total != 0) {
      return null;
    }
    Map<String, Object> out = new LinkedHashMap<>(host);
    out.put("cpus", cpus * blocks / total);
    out.put("memory_mib", memory * blocks / total);
    out.put("gpus", new ArrayList<>(gpus.subList(0, gpus.size() * blocks / total)));
    return out;
  }

  @SuppressWarnings("unchecked")
  static boolean fits(Map<String, Object> resources, Map<String, Object> wanted) {
    Object cpu = wanted.get("cpu");
    if (cpu instanceof Map<?, ?> cpuMap && cpuMap.containsKey("count")) {
      Object arch = cpuMap.get("arch");
      if (arch != null && !arch.equals(resources.getOrDefault("cpu_arch", "x86"))) {
        return false;
      }
      cpu = cpuMap.get("count");
    }
    if (!within(number(resources.get("cpus")), (Map<String, Object>) cpu)) {
      return false;
    }
    if (!within(
        number(resources.get("memory_mib")) / MIB_PER_GB,
        (Map<String, Object>) wanted.get("memory"))) {
      return false;
    }
    Object disk = wanted.get("disk");
    if (disk instanceof Map<?, ?> diskMap) {
      Map<String, Object> size = (Map<String, Object>) diskMap.get("size");
      Map<String, Object> hostDisk = (Map<String, Object>) resources.get("disk");
      double gb = hostDisk == null ? 0 : number(hostDisk.get("size_mib")) / MIB_PER_GB;
      Object min = size == null ? null : size.get("min");
      if (min instanceof Number m && gb < m.doubleValue()) {
        return false;
      }
    }
    Object gpu = wanted.get("gpu");
    return !(gpu instanceof Map<?, ?> gpuMap)
        || gpusFit(
            (List<Map<String, Object>>) resources.getOrDefault("gpus", List.of()),
            (Map<String, Object>) gpuMap);
  }

  @SuppressWarnings("unchecked")
  private static boolean gpusFit(List<Map<String, Object>> gpus, Map<String, Object> wanted) {
    if (!within(gpus.size(), (Map<String, Object>) wanted.get("count"))) {
      return false;
    }
    if (gpus.isEmpty()) {
      return true;
    }
    Map<String, Object> gpu = gpus.get(0);
    Object vendor = wanted.get("vendor");
    if (vendor != null && !vendor.toString().equalsIgnoreCase(String.valueOf(gpu.get("vendor")))) {
      return false;
    }
    Object names = wanted.get("name");
    if (names instanceof List<?> list
        && list.stream()
            .noneMatch(n -> n.toString().equalsIgnoreCase(String.valueOf(gpu.get("name"))))) {
      return false;
    }
    double memoryGb = number(gpu.get("memory_mib")) / MIB_PER_GB;
    if (!within(memoryGb, (Map<String, Object>) wanted.get("memory"))) {
      return false;
    }
    return within(memoryGb * gpus.size(), (Map<String, Object>) wanted.get("total_memory"));
  }

  private static boolean within(double value, Map<String, Object> range) {
    if (range == null) {
      return true;
    }
    Object min = range.get("min");
    Object max = range.get("max");
    return (!(min instanceof Number lo) || value >= lo.doubleValue())
        && (!(max instanceof Number hi) || value <= hi.doubleValue());
  }

  private static long number(Object value) {
    return value instanceof Number n ? n.longValue() : 0;
  }
}
