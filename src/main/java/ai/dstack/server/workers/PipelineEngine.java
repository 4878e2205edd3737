package ai.dstack.server.workers;

import ai.dstack.server.db.Database;
import ai.dstack.server.settings.DatabaseUrl.Dialect;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadFactory;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs pipelines: each claims eligible rows with a lease, processes them outside any transaction
 * and applies results only while the lease holds (SERVER.md §6.1). A heartbeat extends leases in
 * work; leases of a replica that dies expire and other replicas take the rows. On PostgreSQL, hints
 * reach every replica through {@code LISTEN/NOTIFY}.
 */
public final class PipelineEngine {
  private static final Logger log = Logger.getLogger(PipelineEngine.class.getName());

  private final Database db;
  private final ThreadFactory threads;
  private final String replica;
  private final Map<String, String> env;
  private final Map<String, PipelineRunner<?>> runners = new LinkedHashMap<>();
  private PgHints pgHints;
  private Thread heartbeat;
  private volatile boolean running;

  /**
   * @param replica names this process in lease owners (e.g. host and pid)
   * @param env where per-pipeline overrides are read ({@link PipelineSettings#overriddenBy})
   */
  public PipelineEngine(
      Database db, ThreadFactory threads, String replica, Map<String, String> env) {
    this.db = db;
    this.threads = threads;
    this.replica = replica;
    this.env = env;
  }

  public synchronized <T> void register(Pipeline<T> pipeline) {
    PipelineSettings settings = pipeline.defaults().overriddenBy(env, pipeline.name());
    runners.put(pipeline.name(), new PipelineRunner<>(pipeline, settings, db, replica, this::hint));
  }

  public synchronized void start() {
    running = true;
    runners.values().forEach(runner -> runner.start(threads));
    heartbeat = threads.newThread(this::heartbeatLoop);
    heartbeat.setName("dstack-pipelines-heartbeat");
    heartbeat.setDaemon(true);
    heartbeat.start();
    if (db.dialect() == Dialect.POSTGRESQL) {
      pgHints = new PgHints(db, this::hintLocally);
      pgHints.start(threads);
    }
    log.info("Background processing started, pipelines: " + runners.keySet());
  }

  public synchronized void stop() {
    running = false;
    if (heartbeat != null) {
      heartbeat.interrupt();
    }
    if (pgHints != null) {
      pgHints.stop();
    }
    runners.values().forEach(PipelineRunner::stop);
  }

  /**
   * A row of this pipeline changed (e.g. an API call submitted a run): fetch now. Call after the
   * change is committed; other replicas are told too.
   */
  public void hint(String pipeline) {
    hintLocally(pipeline);
    if (pgHints != null) {
      pgHints.send(pipeline);
    }
  }

  List<String> pipelines() {
    return List.copyOf(runners.keySet());
  }

  private void hintLocally(String pipeline) {
    PipelineRunner<?> runner = runners.get(pipeline);
    if (runner != null) {
      runner.hint();
    }
  }

  /** Extends leases well before they expire: every third of the shortest lease timeout. */
  private void heartbeatLoop() {
    long periodMs =
        Math.max(
            100,
            runners.values().stream()
                    .map(r -> r.settings().leaseTimeout())
                    .min(Duration::compareTo)
                    .orElse(Duration.ofSeconds(30))
                    .toMillis()
                / 3);
    while (running) {
      try {
        Thread.sleep(periodMs);
      } catch (InterruptedException e) {
        return;
      }
      for (PipelineRunner<?> runner : runners.values()) {
        try {
          runner.heartbeat();
        } catch (RuntimeException e) {
          log.log(Level.WARNING, "Extending leases of " + runner.name() + " failed: " + e, e);
        }
      }
    }
  }
}
