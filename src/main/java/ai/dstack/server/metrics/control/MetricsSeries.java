package ai.dstack.server.metrics.control;

import ai.dstack.server.metrics.entity.JobMetricsPointEntity;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeMap;
import java.util.logging.Logger;

/**
 * Upstream's {@code JobMetrics} series from stored points (API.md §3.6): one value per point except
 * the oldest, which only serves the CPU percentage of the next one.
 */
public final class MetricsSeries {
  private static final Logger log = Logger.getLogger(MetricsSeries.class.getName());
  private static final long MIB = 1024L * 1024;

  private MetricsSeries() {}

  public record Metric(String name, List<Instant> timestamps, List<Number> values) {}

  /** What the job got: the shared offer's resources if any, else its instance type's. */
  public record Resources(Long cpus, Long memoryMib, Long gpuMemoryMib) {}

  /**
   * Series named as upstream, in its order. {@code latestFirst} is ordered by timestamp, newest
   * first; fewer than two points give no series.
   */
  public static List<Metric> compute(List<JobMetricsPointEntity> latestFirst, Resources resources) {
    if (latestFirst.size() < 2) {
      return List.of();
    }
    List<Instant> timestamps = new ArrayList<>();
    List<Number> cpu = new ArrayList<>();
    List<Number> memory = new ArrayList<>();
    List<Number> workingSet = new ArrayList<>();
    TreeMap<Integer, List<Number>> gpuMemory = new TreeMap<>();
    TreeMap<Integer, List<Number>> gpuUtil = new TreeMap<>();
    Integer gpus = null;
    boolean gpusMismatch = false;
    for (int i = 0; i + 1 < latestFirst.size(); i++) {
      JobMetricsPointEntity point = latestFirst.get(i);
      timestamps.add(instant(point.getTimestampMicro()));
      cpu.add(cpuUsagePercent(point, latestFirst.get(i + 1)));
      memory.add(point.getMemoryUsageBytes());
      workingSet.add(point.getMemoryWorkingSetBytes());
      List<Number> pointMemory = numbers(point.getGpusMemoryUsageBytes());
      List<Number> pointUtil = numbers(point.getGpusUtilPercent());
      if (gpus == null) {
        gpus = pointMemory.size();
      }
      if (pointMemory.size() != gpus || pointUtil.size() != gpus) {
        gpusMismatch = true;
      }
      if (!gpusMismatch) {
        for (int gpu = 0; gpu < gpus; gpu++) {
          gpuMemory.computeIfAbsent(gpu, k -> new ArrayList<>()).add(pointMemory.get(gpu));
          gpuUtil.computeIfAbsent(gpu, k -> new ArrayList<>()).add(pointUtil.get(gpu));
        }
      }
    }
    List<Metric> metrics = new ArrayList<>();
    metrics.add(new Metric("cpu_usage_percent", timestamps, cpu));
    metrics.add(new Metric("memory_usage_bytes", timestamps, memory));
    metrics.add(new Metric("memory_working_set_bytes", timestamps, workingSet));
    if (resources != null && resources.cpus() != null) {
      metrics.add(constant("cpus_detected_num", timestamps, resources.cpus()));
    }
    if (resources != null && resources.memoryMib() != null) {
      metrics.add(constant("memory_total_bytes", timestamps, resources.memoryMib() * MIB));
    }
    if (gpusMismatch) {
      // GPUs are known by index only: if their number changed, the series could mix GPUs up
      log.warning("gpus_detected_num mismatch, skipping GPU metrics");
      return metrics;
    }
    metrics.add(constant("gpus_detected_num", timestamps, (long) gpus));
    if (resources != null && resources.gpuMemoryMib() != null) {
      metrics.add(constant("gpu_memory_total_bytes", timestamps, resources.gpuMemoryMib() * MIB));
    }
    gpuMemory.forEach(
        (gpu, values) ->
            metrics.add(new Metric("gpu_memory_usage_bytes_gpu" + gpu, timestamps, values)));
    gpuUtil.forEach(
        (gpu, values) -> metrics.add(new Metric("gpu_util_percent_gpu" + gpu, timestamps, values)));
    return metrics;
  }

  /** CPU time used over wall time between two samples, in percent, rounded half to even. */
  static long cpuUsagePercent(JobMetricsPointEntity point, JobMetricsPointEntity previous) {
    long window = point.getTimestampMicro() - previous.getTimestampMicro();
    if (window == 0) {
      return 0;
    }
    double used = point.getCpuUsageMicro() - previous.getCpuUsageMicro();
    return (long) Math.rint(used / window * 100);
  }

  static Instant instant(long micros) {
    return Instant.ofEpochSecond(
        Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000);
  }

  public static long micros(Instant instant) {
    return Math.multiplyExact(instant.getEpochSecond(), 1_000_000L) + instant.getNano() / 1000;
  }

  private static Metric constant(String name, List<Instant> timestamps, long value) {
    return new Metric(name, timestamps, Collections.nCopies(timestamps.size(), value));
  }

  /**
   * The job's resources from its {@code job_runtime_data} ({@code offer.instance.resources}) or,
   * without an offer, its {@code job_provisioning_data} ({@code instance_type.resources}).
   */
  public static Resources resources(String jobRuntimeData, String jobProvisioningData) {
    JsonObject fromOffer = at(parse(jobRuntimeData), "offer", "instance", "resources");
    JsonObject resources =
        fromOffer != null
            ? fromOffer
            : at(parse(jobProvisioningData), "instance_type", "resources");
    if (resources == null) {
      return null;
    }
    Long gpuMemoryMib = null;
    if (resources.get("gpus") instanceof JsonArray gpus
        && !gpus.isEmpty()
        && gpus.get(0) instanceof JsonObject first) {
      gpuMemoryMib = integer(first.get("memory_mib"));
    }
    return new Resources(
        integer(resources.get("cpus")), integer(resources.get("memory_mib")), gpuMemoryMib);
  }

  private static JsonObject parse(String json) {
    if (json == null || json.isBlank()) {
      return null;
    }
    try (JsonReader reader = Json.createReader(new StringReader(json))) {
      JsonValue value = reader.readValue();
      return value instanceof JsonObject object ? object : null;
    }
  }

  private static JsonObject at(JsonObject root, String... path) {
    JsonValue current = root;
    for (String key : path) {
      if (!(current instanceof JsonObject object)) {
        return null;
      }
      current = object.get(key);
    }
    return current instanceof JsonObject object ? object : null;
  }

  private static Long integer(JsonValue value) {
    return value instanceof JsonNumber number ? number.longValue() : null;
  }

  private static List<Number> numbers(String json) {
    List<Number> numbers = new ArrayList<>();
    try (JsonReader reader = Json.createReader(new StringReader(json))) {
      for (JsonValue value : reader.readArray()) {
        JsonNumber number = (JsonNumber) value;
        numbers.add(number.isIntegral() ? (Number) number.longValue() : number.doubleValue());
      }
    }
    return numbers;
  }
}
