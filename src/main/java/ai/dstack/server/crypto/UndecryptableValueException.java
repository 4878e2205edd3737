package ai.dstack.server.crypto;

import java.util.List;

/** A stored value that none of the configured encryption keys can decrypt. */
public class UndecryptableValueException extends RuntimeException {
  public UndecryptableValueException(List<String> keysTried) {
    super(
        "The value cannot be decrypted with the configured encryption keys"
            + (keysTried.isEmpty()
                ? " (no key of its type)"
                : " (tried " + String.join(", ", keysTried) + ")"));
  }
}
