package ai.dstack.agent.host;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A job's resource usage at a moment, as upstream's runner reports it on {@code /api/metrics}.
 *
 * @param cpuUsageMicro CPU time consumed so far, cumulative: the server rates it between samples
 * @param memoryWorkingSetBytes memory that cannot be reclaimed (anonymous resident pages)
 */
public record MetricsSample(
    long timestampMicro,
    long cpuUsageMicro,
    long memoryUsageBytes,
    long memoryWorkingSetBytes,
    List<GpuSample> gpus) {
  public MetricsSample {
    gpus = List.copyOf(gpus);
  }

  public Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("timestamp_micro", timestampMicro);
    json.put("cpu_usage_micro", cpuUsageMicro);
    json.put("memory_usage_bytes", memoryUsageBytes);
    json.put("memory_working_set_bytes", memoryWorkingSetBytes);
    json.put("gpus", gpus.stream().map(GpuSample::toJson).toList());
    return json;
  }
}
