package ai.dstack.agent.host;

import java.util.LinkedHashMap;
import java.util.Map;

/** One GPU's usage at a moment. */
public record GpuSample(long memoryUsageBytes, long utilPercent) {
  /** The runner API's GPU metrics object. */
  public Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("gpu_memory_usage_bytes", memoryUsageBytes);
    json.put("gpu_util_percent", utilPercent);
    return json;
  }
}
