package ai.dstack.agent.http;

/** Ends a request with this status and a plain-text message, as upstream's agents answer errors. */
public final class HttpException extends RuntimeException {
  private final int status;

  public HttpException(int status, String message) {
    super(message);
    this.status = status;
  }

  public int status() {
    return status;
  }
}
