package ai.dstack.server.db;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

public final class Times {
  private Times() {}

  /** Now, at the microsecond precision both databases and the wire format keep. */
  public static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MICROS);
  }
}
