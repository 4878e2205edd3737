package ai.dstack.server.workers;

import java.time.Duration;

/**
 * Periodic background work that is not a per-row pipeline (upstream's scheduled tasks: metrics
 * collection, TTL cleanups). Every bean implementing it runs every {@link #period()} once {@link
 * ScheduledTasks} has started; a run never overlaps the previous one.
 */
public interface ScheduledTask {
  /** Names the task in logs ({@code [a-z_]+}). */
  String name();

  /** Time between the end of one run and the start of the next; the first run is one period in. */
  Duration period();

  void run() throws Exception;
}
