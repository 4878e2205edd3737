package ai.dstack.server.db;

/** The database cannot be used; the message is the one line the operator sees. */
public class DatabaseStartupException extends RuntimeException {
  public DatabaseStartupException(String message, Throwable cause) {
    super(message, cause);
  }
}
