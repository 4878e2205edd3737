package ai.dstack.server.settings;

/** A setting the server cannot start with; its message is the one line the operator sees. */
public class InvalidSettingException extends RuntimeException {
  public InvalidSettingException(String message) {
    super(message);
  }
}
