package ai.dstack.server.crypto;

/** One configured key of {@code encryption.keys} (SERVER.md §4). */
public sealed interface EncryptionKey permits AesKey, IdentityKey {
  String type();

  String name();

  /** {@code <type>:<name>}, how reports and messages name a key. */
  default String id() {
    return type() + ":" + name();
  }

  /** The payload part of {@code enc:<type>:<name>:<payload>}. */
  String encrypt(String plaintext);

  /** The plaintext, or {@code null} when this key cannot decrypt the payload. */
  String decrypt(String payload);
}
