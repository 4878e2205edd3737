package ai.dstack.server.workers;

import ai.dstack.server.db.Database;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedThreadFactory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.lang.management.ManagementFactory;

/**
 * The engine inside the server: every {@link Pipeline} bean, on the container's managed threads.
 */
@ApplicationScoped
public class Workers {
  @Resource(lookup = "java:comp/DefaultManagedThreadFactory")
  private ManagedThreadFactory threads;

  @Inject private Instance<Pipeline<?>> pipelines;
  private volatile PipelineEngine engine;

  /** Startup, unless {@code DSTACK_SERVER_BACKGROUND_PROCESSING_DISABLED} (API-only replica). */
  public synchronized void start(Database db) {
    PipelineEngine started =
        new PipelineEngine(
            db, threads, ManagementFactory.getRuntimeMXBean().getName(), System.getenv());
    pipelines.forEach(started::register);
    started.start();
    engine = started;
  }

  /** After committing a change that makes rows of {@code pipeline} eligible. */
  public void hint(String pipeline) {
    PipelineEngine running = engine;
    if (running != null) {
      running.hint(pipeline);
    }
  }

  @PreDestroy
  public synchronized void stop() {
    if (engine != null) {
      engine.stop();
      engine = null;
    }
  }
}
