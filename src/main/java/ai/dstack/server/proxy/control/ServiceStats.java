package ai.dstack.server.proxy.control;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Requests proxied per run, in one-second buckets over the last {@link #HORIZON}: what RPS
 * autoscaling reads. Memory is one fixed ring per run that had a request within the horizon; runs
 * quiet for longer are dropped.
 */
@ApplicationScoped
public class ServiceStats {
  public static final Duration HORIZON = Duration.ofMinutes(5);
  private static final int BUCKETS = (int) HORIZON.toSeconds();

  private final Clock clock;
  private final Map<String, Ring> rings = new ConcurrentHashMap<>();
  private volatile long sweptAt;

  public ServiceStats() {
    this(Clock.systemUTC());
  }

  ServiceStats(Clock clock) {
    this.clock = clock;
  }

  /** One request to the run's service, now. */
  public void record(String runId) {
    long second = clock.millis() / 1000;
    rings.computeIfAbsent(runId, id -> new Ring()).add(second);
    if (second - sweptAt >= 60) {
      sweptAt = second;
      rings.values().removeIf(ring -> ring.quietSince(second - BUCKETS));
    }
  }

  /**
   * Requests per second over the last {@code window} (whole seconds, the current one included, at
   * most {@link #HORIZON}).
   */
  public double rps(String runId, Duration window) {
    long seconds = Math.max(1, Math.min(window.toSeconds(), BUCKETS));
    Ring ring = rings.get(runId);
    if (ring == null) {
      return 0;
    }
    long now = clock.millis() / 1000;
    return (double) ring.count(now - seconds + 1, now) / seconds;
  }

  /** Drops a finished run's counts. */
  public void forget(String runId) {
    rings.remove(runId);
  }

  /** Runs currently counted (for tests of the bound). */
  int runs() {
    return rings.size();
  }

  private static final class Ring {
    private final long[] seconds = new long[BUCKETS];
    private final long[] counts = new long[BUCKETS];
    private long last = Long.MIN_VALUE;

    synchronized void add(long second) {
      int slot = (int) Math.floorMod(second, (long) BUCKETS);
      if (seconds[slot] != second) {
        seconds[slot] = second;
        counts[slot] = 0;
      }
      counts[slot]++;
      last = Math.max(last, second);
    }

    synchronized long count(long from, long to) {
      long total = 0;
      for (int i = 0; i < BUCKETS; i++) {
        if (seconds[i] >= from && seconds[i] <= to) {
          total += counts[i];
        }
      }
      return total;
    }

    synchronized boolean quietSince(long second) {
      return last < second;
    }
  }
}
