package ai.dstack.server.crypto;

import java.util.ArrayList;
import java.util.List;

/**
 * The configured keys in order: the first encrypts, every key of a value's type is tried to decrypt
 * it, and an identity key is always present so plaintext rows stay readable (SERVER.md §4).
 */
public final class EncryptionKeys {
  private static final String PREFIX = "enc:";
  private static volatile EncryptionKeys current = new EncryptionKeys(List.of());

  private final List<EncryptionKey> keys;

  public EncryptionKeys(List<EncryptionKey> configured) {
    List<EncryptionKey> all = new ArrayList<>(configured);
    if (all.stream().noneMatch(IdentityKey.class::isInstance)) {
      all.add(new IdentityKey());
    }
    this.keys = List.copyOf(all);
  }

  /** The keys the encrypted columns use in this process; set once at startup from config.yml. */
  public static EncryptionKeys current() {
    return current;
  }

  public static void install(EncryptionKeys keys) {
    current = keys;
  }

  public List<EncryptionKey> keys() {
    return keys;
  }

  public EncryptionKey writeKey() {
    return keys.get(0);
  }

  public String encrypt(String plaintext) {
    return writePrefix() + writeKey().encrypt(plaintext);
  }

  public SecretText decrypt(String stored) {
    String[] parts = parts(stored);
    if (parts == null) {
      return SecretText.undecryptable(stored, List.of());
    }
    List<String> tried = new ArrayList<>();
    for (EncryptionKey key : keys) {
      if (!key.type().equals(parts[1])) {
        continue;
      }
      String plaintext = key.decrypt(parts[3]);
      if (plaintext != null) {
        return SecretText.decrypted(plaintext, stored);
      }
      tried.add(key.id());
    }
    return SecretText.undecryptable(stored, tried);
  }

  /**
   * {@code <type>:<name>} of a stored value, or {@code null} when it is not in the stored format.
   */
  public static String keyOf(String stored) {
    String[] parts = parts(stored);
    return parts == null ? null : parts[1] + ":" + parts[2];
  }

  /** {@code enc}, type, name, payload (which may contain colons); null if not in that format. */
  private static String[] parts(String stored) {
    String[] parts = stored.split(":", 4);
    return parts.length == 4 && parts[0].equals("enc") ? parts : null;
  }

  /** How every value the first key writes begins: {@code enc:<type>:<name>:}. */
  public String writePrefix() {
    EncryptionKey key = writeKey();
    return PREFIX + key.type() + ":" + key.name() + ":";
  }
}
