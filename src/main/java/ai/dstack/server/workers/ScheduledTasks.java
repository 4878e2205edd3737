package ai.dstack.server.workers;

import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedThreadFactory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Runs every {@link ScheduledTask} bean on the container's managed threads. */
@ApplicationScoped
public class ScheduledTasks {
  private static final Logger log = Logger.getLogger(ScheduledTasks.class.getName());
  private static final int THREADS = 2;

  @Resource(lookup = "java:comp/DefaultManagedThreadFactory")
  private ManagedThreadFactory threads;

  @Inject private Instance<ScheduledTask> tasks;
  private ScheduledThreadPoolExecutor executor;

  /** Startup, unless {@code DSTACK_SERVER_BACKGROUND_PROCESSING_DISABLED} (API-only replica). */
  public void start() {
    start(threads, tasks);
  }

  synchronized void start(ThreadFactory threadFactory, Iterable<? extends ScheduledTask> all) {
    if (executor != null) {
      return;
    }
    executor = new ScheduledThreadPoolExecutor(THREADS, threadFactory);
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    for (ScheduledTask task : all) {
      long period = task.period().toMillis();
      executor.scheduleWithFixedDelay(() -> runOnce(task), period, period, TimeUnit.MILLISECONDS);
    }
  }

  /** A failing run is logged; the schedule goes on (an exception would cancel it). */
  static void runOnce(ScheduledTask task) {
    try {
      task.run();
    } catch (Throwable e) {
      log.log(Level.WARNING, "Scheduled task " + task.name() + " failed", e);
    }
  }

  @PreDestroy
  public synchronized void stop() {
    if (executor != null) {
      executor.shutdownNow();
      try {
        executor.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      executor = null;
    }
  }
}
