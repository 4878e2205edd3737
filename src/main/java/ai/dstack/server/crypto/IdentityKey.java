package ai.dstack.server.crypto;

/** Stores plaintext; keeps rows written before encryption was configured readable. */
public record IdentityKey() implements EncryptionKey {
  public static final String TYPE = "identity";

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public String name() {
    return "noname";
  }

  @Override
  public String encrypt(String plaintext) {
    return plaintext;
  }

  @Override
  public String decrypt(String payload) {
    return payload;
  }
}
