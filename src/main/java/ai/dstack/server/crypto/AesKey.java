package ai.dstack.server.crypto;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM as upstream stores it: Base64 of nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes), a
 * random nonce per value, no associated data.
 */
public final class AesKey implements EncryptionKey {
  public static final String TYPE = "aes";
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String name;
  private final SecretKeySpec key;

  private AesKey(String name, byte[] secret) {
    this.name = name;
    this.key = new SecretKeySpec(secret, "AES");
  }

  /** Validates a configured key with upstream's messages, never echoing the secret. */
  public static AesKey of(String name, String base64Secret) {
    return new AesKey(checkName(name), decodeSecret(base64Secret));
  }

  public static String checkName(String name) {
    if (name == null || name.isEmpty() || !name.codePoints().allMatch(Character::isLetterOrDigit)) {
      throw new IllegalArgumentException("Key name must be alphanumeric");
    }
    return name;
  }

  public static byte[] decodeSecret(String base64Secret) {
    byte[] secret;
    try {
      // strict like Python's b64decode(validate=True): padding required
      if (base64Secret == null || base64Secret.length() % 4 != 0) {
        throw new IllegalArgumentException("bad length");
      }
      secret = Base64.getDecoder().decode(base64Secret);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Failed to decode secret from base64");
    }
    if (secret.length != 32) {
      throw new IllegalArgumentException(
          "AES key must be 32 bytes. Got " + secret.length + " bytes");
    }
    return secret;
  }

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String encrypt(String plaintext) {
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    return encrypt(plaintext, nonce);
  }

  /** With a given nonce; only for known-answer tests. */
  String encrypt(String plaintext, byte[] nonce) {
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      byte[] sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
      byte[] out = new byte[nonce.length + sealed.length];
      System.arraycopy(nonce, 0, out, 0, nonce.length);
      System.arraycopy(sealed, 0, out, nonce.length, sealed.length);
      return Base64.getEncoder().encodeToString(out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available in this JVM", e);
    }
  }

  @Override
  public String decrypt(String payload) {
    byte[] data;
    try {
      data = Base64.getDecoder().decode(payload);
    } catch (IllegalArgumentException e) {
      return null;
    }
    if (data.length < NONCE_BYTES + TAG_BITS / 8) {
      return null;
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, data, 0, NONCE_BYTES));
      byte[] plain = cipher.doFinal(data, NONCE_BYTES, data.length - NONCE_BYTES);
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(plain))
          .toString();
    } catch (GeneralSecurityException | CharacterCodingException e) {
      return null;
    }
  }
}
