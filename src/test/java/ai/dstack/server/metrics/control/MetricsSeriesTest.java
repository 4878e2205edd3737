package ai.dstack.server.metrics.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.dstack.server.metrics.entity.JobMetricsPointEntity;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class MetricsSeriesTest {
  private static JobMetricsPointEntity point(long ts, long cpu, String gpuMemory, String util) {
    return new JobMetricsPointEntity("id", "job", ts, cpu, ts * 2, ts, gpuMemory, util);
  }

  private static Map<String, MetricsSeries.Metric> byName(List<MetricsSeries.Metric> metrics) {
    return metrics.stream()
        .collect(Collectors.toMap(MetricsSeries.Metric::name, Function.identity()));
  }

  @Test
  void fewerThanTwoPointsGiveNoSeries() {
    assertEquals(List.of(), MetricsSeries.compute(List.of(), null));
    assertEquals(List.of(), MetricsSeries.compute(List.of(point(1, 0, "[]", "[]")), null));
  }

  @Test
  void eachPointButTheOldestGetsAValueWithCpuFromTheDeltaRoundedHalfToEven() {
    List<MetricsSeries.Metric> metrics =
        MetricsSeries.compute(
            List.of(
                point(3_000_000, 2_050_000, "[5]", "[50]"), // +25_000 over 1 s: 2.5 % -> 2
                point(2_000_000, 2_025_000, "[4]", "[40]"), // +2_025_000 over 1 s: 202.5 -> 202
                point(1_000_000, 0, "[3]", "[30]")),
            new MetricsSeries.Resources(8L, 1024L, 80L));
    Map<String, MetricsSeries.Metric> series = byName(metrics);
    assertEquals(List.<Number>of(2L, 202L), series.get("cpu_usage_percent").values());
    assertEquals(
        List.of(Instant.ofEpochSecond(3), Instant.ofEpochSecond(2)),
        series.get("cpu_usage_percent").timestamps());
    assertEquals(
        List.<Number>of(6_000_000L, 4_000_000L), series.get("memory_usage_bytes").values());
    assertEquals(List.<Number>of(8L, 8L), series.get("cpus_detected_num").values());
    assertEquals(
        List.<Number>of(1024L * 1024 * 1024, 1024L * 1024 * 1024),
        series.get("memory_total_bytes").values());
    assertEquals(List.<Number>of(1L, 1L), series.get("gpus_detected_num").values());
    assertEquals(
        List.<Number>of(80L * 1024 * 1024, 80L * 1024 * 1024),
        series.get("gpu_memory_total_bytes").values());
    assertEquals(List.<Number>of(5L, 4L), series.get("gpu_memory_usage_bytes_gpu0").values());
    assertEquals(List.<Number>of(50L, 40L), series.get("gpu_util_percent_gpu0").values());
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
            "gpu_util_percent_gpu0"),
        metrics.stream().map(MetricsSeries.Metric::name).toList());
  }

  @Test
  void aChangingGpuCountDropsAllGpuSeriesAndEqualTimestampsGiveZeroCpu() {
    List<MetricsSeries.Metric> metrics =
        MetricsSeries.compute(
            List.of(
                point(2_000_000, 900, "[1,2]", "[1,2]"),
                point(2_000_000, 100, "[1]", "[1]"),
                point(1_000_000, 0, "[1]", "[1]")),
            null);
    assertEquals(
        List.of("cpu_usage_percent", "memory_usage_bytes", "memory_working_set_bytes"),
        metrics.stream().map(MetricsSeries.Metric::name).toList());
    assertEquals(0L, metrics.get(0).values().get(0));
  }

  @Test
  void resourcesComeFromTheOfferBeforeTheInstanceType() {
    String jpd =
        "{\"instance_type\":{\"resources\":{\"cpus\":64,\"memory_mib\":65536,\"gpus\":[]}}}";
    String jrd =
        "{\"network_mode\":\"host\",\"offer\":{\"instance\":{\"resources\":{\"cpus\":8,"
            + "\"memory_mib\":4096,\"gpus\":[{\"name\":\"A100\",\"memory_mib\":40960}]}}}}";
    assertEquals(new MetricsSeries.Resources(8L, 4096L, 40960L), MetricsSeries.resources(jrd, jpd));
    assertEquals(
        new MetricsSeries.Resources(64L, 65536L, null),
        MetricsSeries.resources("{\"network_mode\":\"host\",\"offer\":null}", jpd));
    assertNull(MetricsSeries.resources(null, null));
  }

  @Test
  void microsecondsConvertExactly() {
    Instant instant = Instant.parse("2026-01-02T03:04:05.123456Z");
    assertEquals(instant, MetricsSeries.instant(MetricsSeries.micros(instant)));
  }
}
