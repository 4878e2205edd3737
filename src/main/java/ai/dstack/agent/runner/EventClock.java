package ai.dstack.agent.runner;

/**
 * Millisecond timestamps shared by a job's states and log events, strictly increasing so that the
 * server's {@code pull?timestamp=} cursor never skips or repeats an event, also across restarts.
 */
final class EventClock {
  private long latest;

  synchronized long next() {
    latest = Math.max(System.currentTimeMillis(), latest + 1);
    return latest;
  }

  synchronized long latest() {
    return latest;
  }

  synchronized void advanceTo(long timestamp) {
    latest = Math.max(latest, timestamp);
  }
}
