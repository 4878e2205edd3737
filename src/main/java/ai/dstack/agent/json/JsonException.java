package ai.dstack.agent.json;

/** Malformed JSON or a member of the wrong type; the message says where. */
public final class JsonException extends RuntimeException {
  public JsonException(String message) {
    super(message);
  }
}
