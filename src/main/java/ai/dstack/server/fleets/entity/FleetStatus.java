package ai.dstack.server.fleets.entity;

import java.util.Locale;

/** Upstream's FleetStatus; stored as the upper-case name, sent lower-case. */
public enum FleetStatus {
  SUBMITTED,
  ACTIVE,
  TERMINATING,
  TERMINATED,
  FAILED;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }
}
