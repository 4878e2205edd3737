package ai.dstack.server.crypto;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;

/**
 * An OpenSSH public key line ({@code type base64 [comment]}) checked structurally: the blob must
 * decode, name the same type as the line, and hold exactly the fields of that key type.
 */
public record SshPublicKey(String type, byte[] blob, String comment) {
  /** Key types accepted for upload, with the curve an ECDSA blob must name. */
  private static final Map<String, String> SUPPORTED =
      Map.of(
          "ssh-rsa", "",
          "ssh-ed25519", "",
          "ecdsa-sha2-nistp256", "nistp256",
          "ecdsa-sha2-nistp384", "nistp384",
          "ecdsa-sha2-nistp521", "nistp521",
          "sk-ecdsa-sha2-nistp256@openssh.com", "nistp256",
          "sk-ssh-ed25519@openssh.com", "");

  public static class InvalidKeyException extends Exception {
    public InvalidKeyException(String message) {
      super(message);
    }
  }

  public static final String INVALID = "Invalid public key, must be in OpenSSH public key format";

  public static SshPublicKey parse(String line) throws InvalidKeyException {
    String[] parts = line.trim().split("\\s+", 3);
    if (parts.length < 2) {
      throw new InvalidKeyException(INVALID);
    }
    byte[] blob;
    try {
      blob = Base64.getDecoder().decode(parts[1]);
    } catch (IllegalArgumentException e) {
      throw new InvalidKeyException(INVALID);
    }
    ByteBuffer in = ByteBuffer.wrap(blob);
    try {
      String blobType = new String(readString(in), StandardCharsets.UTF_8);
      if (!blobType.equals(parts[0])) {
        throw new InvalidKeyException(INVALID);
      }
      String curve = SUPPORTED.get(blobType);
      if (curve == null) {
        throw new InvalidKeyException("Unsupported key type: " + blobType);
      }
      checkFields(blobType, curve, in);
      if (in.hasRemaining()) {
        throw new InvalidKeyException(INVALID);
      }
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw new InvalidKeyException(INVALID);
    }
    String comment = parts.length == 3 && !parts[2].isBlank() ? parts[2].strip() : null;
    return new SshPublicKey(parts[0], blob, comment);
  }

  /** {@code SHA256:<unpadded base64>}, as {@code ssh-keygen -l} prints it. */
  public String fingerprint() {
    return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(digest("SHA-256"));
  }

  /** The name upstream gives a key uploaded without a name or comment. */
  public String md5Hex() {
    return HexFormat.of().formatHex(digest("MD5"));
  }

  private byte[] digest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm).digest(blob);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void checkFields(String type, String curve, ByteBuffer in)
      throws InvalidKeyException {
    if (type.equals("ssh-rsa")) {
      byte[] exponent = readString(in);
      byte[] modulus = readString(in);
      if (exponent.length == 0 || modulus.length < 64) {
        throw new InvalidKeyException(INVALID);
      }
    } else if (type.contains("ed25519")) {
      if (readString(in).length != 32) {
        throw new InvalidKeyException(INVALID);
      }
    } else {
      if (!new String(readString(in), StandardCharsets.UTF_8).equals(curve)) {
        throw new InvalidKeyException(INVALID);
      }
      byte[] point = readString(in);
      if (point.length < 65 || point[0] != 4) {
        throw new InvalidKeyException(INVALID);
      }
    }
    if (type.startsWith("sk-")) {
      readString(in); // the FIDO application, e.g. "ssh:"
    }
  }

  private static byte[] readString(ByteBuffer in) {
    int length = in.getInt();
    if (length < 0 || length > in.remaining()) {
      throw new BufferUnderflowException();
    }
    byte[] value = new byte[length];
    in.get(value);
    return value;
  }
}
