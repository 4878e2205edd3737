package ai.dstack.server.logs.control;

import java.util.Locale;

/** Who printed a log: the job's own output, or the runner inside its container (diagnostics). */
public enum LogProducer {
  JOB,
  RUNNER;

  /** The name in file names ({@code job.log}) and stream names ({@code …/job}). */
  public String value() {
    return name().toLowerCase(Locale.ROOT);
  }
}
