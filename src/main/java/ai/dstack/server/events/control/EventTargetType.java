package ai.dstack.server.events.control;

import java.util.Locale;

/** Upstream's EventTargetType; sent and stored lower-case. */
public enum EventTargetType {
  PROJECT,
  USER,
  FLEET,
  INSTANCE,
  RUN,
  JOB,
  VOLUME,
  GATEWAY,
  SECRET;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The type of a wire value, or null for an unknown one. */
  static EventTargetType of(String wire) {
    for (EventTargetType type : values()) {
      if (type.wire().equals(wire)) {
        return type;
      }
    }
    return null;
  }
}
