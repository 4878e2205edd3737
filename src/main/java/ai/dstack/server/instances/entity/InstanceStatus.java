package ai.dstack.server.instances.entity;

import java.util.Locale;

/** Upstream's InstanceStatus; stored as the upper-case name, sent lower-case. */
public enum InstanceStatus {
  PENDING,
  PROVISIONING,
  IDLE,
  BUSY,
  TERMINATING,
  TERMINATED;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public boolean active() {
    return this != TERMINATING && this != TERMINATED;
  }
}
