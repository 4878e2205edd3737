package ai.dstack.server.logs.control;

import java.util.List;

/**
 * Where run logs are kept. Implementations are chosen once by {@link LogStorageFactory}; they must
 * accept calls for different jobs from several threads at once.
 */
public interface LogStorage {
  /**
   * Appends one page of a job's events for one producer, returning once they are stored (the caller
   * relies on that for back-pressure). Never called concurrently for the same job.
   */
  void write(JobLogs target, LogProducer producer, List<RunnerLogEvent> events);

  /**
   * One page of a job's events. {@code query.nextToken()} is a token this storage returned; a token
   * it cannot read is the caller's mistake (400).
   */
  LogPage poll(JobLogs target, LogProducer producer, LogQuery query);

  /** Releases clients and connections at shutdown. */
  default void close() {}
}
