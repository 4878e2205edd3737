package ai.dstack.server.crypto;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;

/**
 * RSA-2048 key pairs for users and projects, in the forms upstream hands out: the private key as
 * unencrypted PKCS#8 PEM, the public key as one OpenSSH line {@code ssh-rsa <b64> <comment>\n}.
 */
public final class SshKeys {
  public record SshKeyPair(String privateKey, String publicKey) {}

  private SshKeys() {}

  public static SshKeyPair generate(String comment) {
    return format(newRsaPair(), comment);
  }

  /** A fresh RSA-2048 pair: the slow part (a quarter of a second of CPU is common). */
  static KeyPair newRsaPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      return generator.generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static SshKeyPair format(KeyPair pair, String comment) {
    String pem =
        "-----BEGIN PRIVATE KEY-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(pair.getPrivate().getEncoded())
            + "\n-----END PRIVATE KEY-----\n";
    RSAPublicKey pub = (RSAPublicKey) pair.getPublic();
    String openssh =
        "ssh-rsa "
            + Base64.getEncoder().encodeToString(rsaBlob(pub.getPublicExponent(), pub.getModulus()))
            + " "
            + comment
            + "\n";
    return new SshKeyPair(pem, openssh);
  }

  private static byte[] rsaBlob(BigInteger exponent, BigInteger modulus) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      writeString(out, "ssh-rsa".getBytes(StandardCharsets.US_ASCII));
      writeString(out, exponent.toByteArray());
      writeString(out, modulus.toByteArray());
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void writeString(DataOutputStream out, byte[] value) throws IOException {
    out.writeInt(value.length);
    out.write(value);
  }
}
