package ai.dstack.server.runs.entity;

import java.util.Locale;

/** API.md §3.1; the database keeps the upper-case names. */
public enum RunStatus {
  PENDING,
  SUBMITTED,
  PROVISIONING,
  RUNNING,
  TERMINATING,
  TERMINATED,
  FAILED,
  DONE;

  public boolean finished() {
    return this == TERMINATED || this == FAILED || this == DONE;
  }

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }
}
