package ai.dstack.server.hosts;

import java.util.Objects;

/**
 * One key pair for SSH to a host.
 *
 * @param publicKey the OpenSSH public line ({@code ssh-ed25519 AAAA… comment}); may be null when
 *     only the private key is known (it is derived then)
 * @param privateKey unencrypted PEM (PKCS#1, PKCS#8) or OpenSSH private key text
 */
public record SshKey(String publicKey, String privateKey) {
  public SshKey {
    Objects.requireNonNull(privateKey, "privateKey");
  }

  /** Never the private key: these records end up in log lines and assertion messages. */
  @Override
  public String toString() {
    return "SshKey[" + (publicKey == null ? "private only" : publicKey.strip()) + "]";
  }
}
