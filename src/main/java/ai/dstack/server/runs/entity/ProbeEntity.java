package ai.dstack.server.runs.entity;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * The state of one of a running service replica's probes ({@code job_spec.probes[probe_num]}): when
 * it runs next and how many times in a row it has succeeded.
 */
@Entity
@Table(name = "probes")
public class ProbeEntity {
  @Id private String id;

  private String name;

  @Column(name = "job_id")
  private String jobId;

  @Column(name = "probe_num")
  private int probeNum;

  private Instant due;

  @Column(name = "success_streak")
  private long successStreak;

  private boolean active;

  protected ProbeEntity() {}

  public ProbeEntity(String id, String name, String jobId, int probeNum, Instant due) {
    this.id = id;
    this.name = name;
    this.jobId = jobId;
    this.probeNum = probeNum;
    this.due = due;
    this.active = true;
  }

  public String getId() {
    return id;
  }

  public String getJobId() {
    return jobId;
  }

  public int getProbeNum() {
    return probeNum;
  }

  public Instant getDue() {
    return due;
  }

  public long getSuccessStreak() {
    return successStreak;
  }

  public boolean isActive() {
    return active;
  }
}
