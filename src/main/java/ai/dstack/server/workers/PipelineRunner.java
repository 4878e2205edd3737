package ai.dstack.server.workers;

import ai.dstack.server.db.Database;
import ai.dstack.server.db.Times;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/** One pipeline at work: a fetcher, a bounded queue, N workers. */
final class PipelineRunner<T> {
  private static final Logger log = Logger.getLogger(PipelineRunner.class.getName());

  /** Pauses after consecutive empty fetches; then the settings' maximum (5 s by default). */
  private static final long[] IDLE_DELAYS_MS = {500, 1000, 2000};

  private final Pipeline<T> pipeline;
  private final PipelineSettings settings;
  private final Database db;
  private final String owner;
  private final BlockingQueue<Lease> queue = new LinkedBlockingQueue<>();

  /** Claimed and not yet finished; the fetcher claims no more than twice the workers. */
  private final Semaphore slots;

  /** Every lease held, for the heartbeat. */
  private final Set<Lease> held = ConcurrentHashMap.newKeySet();

  private final Object wake = new Object();
  private boolean hinted;
  private volatile boolean running = true;
  private final List<Thread> threads = new ArrayList<>();

  private final Consumer<String> hints;

  /**
   * @param hints wakes a pipeline (this replica's and the others')
   */
  PipelineRunner(
      Pipeline<T> pipeline,
      PipelineSettings settings,
      Database db,
      String replica,
      Consumer<String> hints) {
    this.hints = hints;
    this.pipeline = pipeline;
    this.settings = settings;
    this.db = db;
    this.owner = pipeline.name() + "@" + replica;
    this.slots = new Semaphore(2 * settings.workers());
  }

  String name() {
    return pipeline.name();
  }

  PipelineSettings settings() {
    return settings;
  }

  void start(ThreadFactory threadFactory) {
    threads.add(threadFactory.newThread(this::fetchLoop));
    for (int i = 0; i < settings.workers(); i++) {
      threads.add(threadFactory.newThread(this::workLoop));
    }
    for (int i = 0; i < threads.size(); i++) {
      threads.get(i).setName("dstack-" + pipeline.name() + (i == 0 ? "-fetcher" : "-worker-" + i));
      threads.get(i).setDaemon(true);
      threads.get(i).start();
    }
  }

  /** Claimed leases are left to expire: another replica (or the next start) takes them over. */
  void stop() {
    running = false;
    threads.forEach(Thread::interrupt);
    for (Thread thread : threads) {
      try {
        thread.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Something became eligible: fetch now instead of after the idle pause. */
  void hint() {
    synchronized (wake) {
      hinted = true;
      wake.notifyAll();
    }
  }

  /** Extends every lease this pipeline holds; called by the engine's heartbeat. */
  void heartbeat() {
    if (held.isEmpty()) {
      return;
    }
    Map<String, Set<String>> tokensByTable = new HashMap<>();
    for (Lease lease : held) {
      tokensByTable.computeIfAbsent(lease.table(), t -> new HashSet<>()).add(lease.token());
      for (Lease.Related related : lease.related()) {
        tokensByTable.computeIfAbsent(related.table(), t -> new HashSet<>()).add(lease.token());
      }
    }
    Instant expires = Times.now().plus(settings.leaseTimeout());
    db.txRun(
        em ->
            tokensByTable.forEach(
                (table, tokens) -> LeaseStatements.extend(em, table, tokens, expires)));
  }

  private void fetchLoop() {
    int idle = 0;
    while (running) {
      try {
        int free = slots.drainPermits();
        if (free == 0 || (free < Math.max(1, settings.workers() / 2) && !queue.isEmpty())) {
          slots.release(free);
          pause(Duration.ofMillis(100));
          continue;
        }
        List<Lease> claimed;
        try {
          claimed = claim(free);
        } catch (RuntimeException e) {
          slots.release(free);
          throw e;
        }
        slots.release(free - claimed.size());
        held.addAll(claimed);
        queue.addAll(claimed);
        if (claimed.isEmpty()) {
          pause(idleDelay(idle++));
        } else {
          idle = 0;
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        log.log(Level.WARNING, "Fetching " + pipeline.name() + " failed: " + e, e);
        try {
          pause(idleDelay(IDLE_DELAYS_MS.length));
        } catch (InterruptedException interrupted) {
          return;
        }
      }
    }
  }

  private List<Lease> claim(int limit) {
    String token = UUID.randomUUID().toString();
    Instant now = Times.now();
    List<String> ids =
        db.tx(
            em ->
                LeaseStatements.claim(
                    em, db.dialect(), pipeline, settings, now, limit, token, owner));
    List<Lease> leases = new ArrayList<>(ids.size());
    for (String id : ids) {
      leases.add(new Lease(pipeline.table(), id, token, owner, settings.leaseTimeout()));
    }
    return leases;
  }

  /** 0.5, 1, 2 s, then the maximum, with ±20% jitter so replicas do not fetch in step. */
  private Duration idleDelay(int idleFetches) {
    long max = settings.maxIdleDelay().toMillis();
    long base =
        idleFetches < IDLE_DELAYS_MS.length ? Math.min(IDLE_DELAYS_MS[idleFetches], max) : max;
    double jitter = 0.8 + 0.4 * ThreadLocalRandom.current().nextDouble();
    return Duration.ofMillis(Math.max(1, (long) (base * jitter)));
  }

  private void pause(Duration delay) throws InterruptedException {
    synchronized (wake) {
      if (!hinted) {
        wake.wait(delay.toMillis());
      }
      hinted = false;
    }
  }

  private void workLoop() {
    while (running) {
      Lease lease;
      try {
        lease = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      try {
        handle(lease);
      } catch (RuntimeException e) {
        log.log(Level.WARNING, "Processing " + lease + " failed: " + e, e);
      } finally {
        held.remove(lease);
        slots.release();
        synchronized (wake) {
          // a slot is free: a fetcher waiting for one goes on (an idle pause is cut short too)
          wake.notifyAll();
        }
      }
    }
  }

  private void handle(Lease lease) {
    T item;
    try {
      item = db.tx(em -> pipeline.load(em, lease));
    } catch (Lease.Busy busy) {
      log.fine(() -> "Postponing " + lease + ": " + busy.getMessage());
      release(lease, false);
      return;
    }
    if (item == null) {
      release(lease, true);
      return;
    }
    Pipeline.Apply apply;
    try {
      apply = pipeline.process(item, lease);
    } catch (InterruptedException e) {
      // shutting down: not a failure; the row is free for the next fetch, here or elsewhere
      Thread.currentThread().interrupt();
      release(lease, false);
      return;
    } catch (Exception e) {
      log.warning("Processing " + lease + " failed: " + e);
      release(lease, true);
      return;
    }
    Instant processedAt = Times.now();
    boolean applied;
    try {
      applied =
          db.tx(
              em -> {
                if (!LeaseStatements.release(
                    em, lease.table(), lease.id(), lease.token(), processedAt)) {
                  return false;
                }
                releaseRelated(em, lease);
                (apply == null ? Pipeline.Apply.NOTHING : apply).apply(em);
                return true;
              });
    } catch (RuntimeException e) {
      log.warning("Applying the result for " + lease + " failed: " + e);
      release(lease, true);
      return;
    }
    if (!applied) {
      log.fine(() -> "Lease of " + lease + " was lost; its result is dropped");
    } else if (apply != null) {
      apply.hints().forEach(hints);
    }
  }

  private void release(Lease lease, boolean processed) {
    Instant processedAt = processed ? Times.now() : null;
    db.txRun(
        em -> {
          LeaseStatements.release(em, lease.table(), lease.id(), lease.token(), processedAt);
          releaseRelated(em, lease);
        });
  }

  private static void releaseRelated(jakarta.persistence.EntityManager em, Lease lease) {
    for (Lease.Related related : lease.related()) {
      LeaseStatements.release(em, related.table(), related.id(), lease.token(), null);
    }
  }
}
