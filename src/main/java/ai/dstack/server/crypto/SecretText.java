package ai.dstack.server.crypto;

import java.util.List;
import java.util.Objects;

/**
 * The value of an encrypted column: either readable plaintext or, when no configured key can
 * decrypt it, the stored text kept untouched so that writing the row back loses nothing.
 */
public final class SecretText {
  private final String plaintext;
  private final String stored;
  private final List<String> keysTried;

  private SecretText(String plaintext, String stored, List<String> keysTried) {
    this.plaintext = plaintext;
    this.stored = stored;
    this.keysTried = keysTried;
  }

  /** A new value; it is encrypted with the current first key when the row is written. */
  public static SecretText of(String plaintext) {
    return new SecretText(Objects.requireNonNull(plaintext), null, List.of());
  }

  static SecretText decrypted(String plaintext, String stored) {
    return new SecretText(plaintext, stored, List.of());
  }

  static SecretText undecryptable(String stored, List<String> keysTried) {
    return new SecretText(null, stored, List.copyOf(keysTried));
  }

  public boolean readable() {
    return plaintext != null;
  }

  /** The plaintext; {@link UndecryptableValueException} when no configured key could read it. */
  public String plaintext() {
    if (plaintext == null) {
      throw new UndecryptableValueException(keysTried);
    }
    return plaintext;
  }

  /** The column text this value was loaded from, or {@code null} for a value not yet written. */
  public String stored() {
    return stored;
  }

  /** The keys (as {@code type:name}) that failed to decrypt an unreadable value. */
  public List<String> keysTried() {
    return keysTried;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof SecretText that
        && Objects.equals(plaintext, that.plaintext)
        && Objects.equals(stored, that.stored);
  }

  @Override
  public int hashCode() {
    return Objects.hash(plaintext, stored);
  }

  @Override
  public String toString() {
    return readable() ? "SecretText[readable]" : "SecretText[undecryptable]";
  }
}
