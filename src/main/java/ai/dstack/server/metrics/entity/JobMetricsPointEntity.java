package ai.dstack.server.metrics.entity;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * One sample of a job's runner {@code /api/metrics}. Per-GPU values are JSON lists indexed by GPU;
 * CPU usage is cumulative, so a percentage needs the previous sample.
 */
@Entity
@Table(name = "job_metrics_points")
public class JobMetricsPointEntity {
  @Id private String id;

  @Column(name = "job_id")
  private String jobId;

  @Column(name = "timestamp_micro")
  private long timestampMicro;

  @Column(name = "cpu_usage_micro")
  private long cpuUsageMicro;

  @Column(name = "memory_usage_bytes")
  private long memoryUsageBytes;

  @Column(name = "memory_working_set_bytes")
  private long memoryWorkingSetBytes;

  @Column(name = "gpus_memory_usage_bytes")
  private String gpusMemoryUsageBytes;

  @Column(name = "gpus_util_percent")
  private String gpusUtilPercent;

  protected JobMetricsPointEntity() {}

  public JobMetricsPointEntity(
      String id,
      String jobId,
      long timestampMicro,
      long cpuUsageMicro,
      long memoryUsageBytes,
      long memoryWorkingSetBytes,
      String gpusMemoryUsageBytes,
      String gpusUtilPercent) {
    this.id = id;
    this.jobId = jobId;
    this.timestampMicro = timestampMicro;
    this.cpuUsageMicro = cpuUsageMicro;
    this.memoryUsageBytes = memoryUsageBytes;
    this.memoryWorkingSetBytes = memoryWorkingSetBytes;
    this.gpusMemoryUsageBytes = gpusMemoryUsageBytes;
    this.gpusUtilPercent = gpusUtilPercent;
  }

  public String getJobId() {
    return jobId;
  }

  public long getTimestampMicro() {
    return timestampMicro;
  }

  public long getCpuUsageMicro() {
    return cpuUsageMicro;
  }

  public long getMemoryUsageBytes() {
    return memoryUsageBytes;
  }

  public long getMemoryWorkingSetBytes() {
    return memoryWorkingSetBytes;
  }

  public String getGpusMemoryUsageBytes() {
    return gpusMemoryUsageBytes;
  }

  public String getGpusUtilPercent() {
    return gpusUtilPercent;
  }
}
