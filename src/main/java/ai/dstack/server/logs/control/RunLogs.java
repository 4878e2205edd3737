package ai.dstack.server.logs.control;

import ai.dstack.server.ServerContext;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.logging.Logger;

/**
 * Run logs: the job pipeline appends what runners report, {@code logs/poll} reads pages back. The
 * storage is chosen on first use, once settings are known.
 */
@ApplicationScoped
public class RunLogs {
  private static final Logger log = Logger.getLogger(RunLogs.class.getName());

  @Inject private ServerContext server;
  private volatile LogStorage storage;

  /**
   * Appends one page of events and returns once they are stored: callers are throttled by the
   * storage instead of queueing. Safe from several threads for different jobs; callers never write
   * the same job from two threads at once.
   */
  public void write(JobLogs target, LogProducer producer, List<RunnerLogEvent> events) {
    if (!events.isEmpty()) {
      storage().write(target, producer, events);
    }
  }

  /**
   * One page of a job's logs, messages as stored (the API base64-encodes them); no logs for unknown
   * runs or jobs. A token the storage cannot read is a 400.
   */
  public LogPage poll(JobLogs target, LogProducer producer, LogQuery query) {
    return storage().poll(target, producer, query);
  }

  private LogStorage storage() {
    LogStorage current = storage;
    if (current == null) {
      synchronized (this) {
        current = storage;
        if (current == null) {
          current = LogStorageFactory.create(server.settings());
          log.info("Using " + current.getClass().getSimpleName() + " for run logs");
          storage = current;
        }
      }
    }
    return current;
  }

  @PreDestroy
  void close() {
    LogStorage current = storage;
    if (current != null) {
      current.close();
    }
  }
}
