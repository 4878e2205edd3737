package ai.dstack.server.workers;

import ai.dstack.server.settings.InvalidSettingException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * How a pipeline runs. Each value can be overridden per pipeline by the environment, e.g. {@code
 * DSTACK_SERVER_PIPELINE_INSTANCES_WORKERS=40} or {@code …_MIN_INTERVAL=3.5} (seconds), so tests
 * run fast and operators can size a replica.
 *
 * @param minInterval a row is processed again only this long after it was last processed
 * @param leaseTimeout a lease not extended by a heartbeat for this long is free to take
 * @param maxIdleDelay the longest pause between fetches when nothing is eligible
 */
public record PipelineSettings(
    int workers, Duration minInterval, Duration leaseTimeout, Duration maxIdleDelay) {

  public PipelineSettings {
    if (workers < 1) {
      throw new IllegalArgumentException("workers must be at least 1");
    }
  }

  public static PipelineSettings of(int workers, Duration minInterval, Duration leaseTimeout) {
    return new PipelineSettings(workers, minInterval, leaseTimeout, Duration.ofSeconds(5));
  }

  public PipelineSettings overriddenBy(Map<String, String> env, String pipeline) {
    String prefix = "DSTACK_SERVER_PIPELINE_" + pipeline.toUpperCase(Locale.ROOT) + "_";
    return new PipelineSettings(
        integer(env, prefix + "WORKERS", workers),
        seconds(env, prefix + "MIN_INTERVAL", minInterval),
        seconds(env, prefix + "LEASE_TIMEOUT", leaseTimeout),
        seconds(env, prefix + "MAX_IDLE_DELAY", maxIdleDelay));
  }

  private static int integer(Map<String, String> env, String name, int fallback) {
    String value = env.get(name);
    try {
      int parsed = value == null ? fallback : Integer.parseInt(value.strip());
      if (parsed < 1) {
        throw new NumberFormatException();
      }
      return parsed;
    } catch (NumberFormatException e) {
      throw new InvalidSettingException(name + " must be a positive integer, got '" + value + "'");
    }
  }

  private static Duration seconds(Map<String, String> env, String name, Duration fallback) {
    String value = env.get(name);
    if (value == null) {
      return fallback;
    }
    try {
      double parsed = Double.parseDouble(value.strip());
      if (!(parsed > 0)) {
        throw new NumberFormatException();
      }
      return Duration.ofNanos((long) (parsed * 1e9));
    } catch (NumberFormatException e) {
      throw new InvalidSettingException(
          name + " must be a positive number of seconds, got '" + value + "'");
    }
  }
}
