package ai.dstack.server.hosts;

/**
 * A host could not be reached or did not do what was asked. The message is one line that names the
 * host and fits an instance's {@code status_message}.
 */
public final class HostException extends Exception {
  private static final int MAX_MESSAGE = 500;
  private final int httpStatus;

  public HostException(String message) {
    this(message, null, 0);
  }

  public HostException(String message, Throwable cause) {
    this(message, cause, 0);
  }

  /** The agent answered an HTTP request with {@code httpStatus} (not 200). */
  public HostException(String message, Throwable cause, int httpStatus) {
    super(oneLine(message), cause);
    this.httpStatus = httpStatus;
  }

  /** The agent's HTTP status when it answered with an error, else 0. */
  public int httpStatus() {
    return httpStatus;
  }

  static String oneLine(String text) {
    String line = text == null ? "" : text.strip().replaceAll("\\s+", " ");
    return line.length() <= MAX_MESSAGE ? line : line.substring(0, MAX_MESSAGE - 1) + "…";
  }
}
