package ai.dstack.server.proxy.control;

/**
 * A proxy refusal or failure answered before anything of the replica's response was sent:
 * upstream's {@code {"detail": "<message>"}} with its status.
 */
public class ProxyException extends RuntimeException {
  private final int status;

  public ProxyException(int status, String detail) {
    super(detail);
    this.status = status;
  }

  public int status() {
    return status;
  }

  public static ProxyException notFound(String projectName, String runName) {
    return new ProxyException(404, "Service " + projectName + "/" + runName + " not found");
  }

  public static ProxyException unauthorized(String projectName) {
    return new ProxyException(
        403, "Unauthenticated or unauthorized to access project " + projectName);
  }

  public static ProxyException badGateway() {
    return new ProxyException(502, "Error requesting upstream");
  }

  public static ProxyException gatewayTimeout() {
    return new ProxyException(504, "Timed out requesting upstream");
  }
}
