package ai.dstack.server.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SshKeysTest {
  @TempDir Path dir;

  @Test
  void generatedPairIsWhatOpenSshAcceptsAndMatches() throws Exception {
    SshKeys.SshKeyPair pair = SshKeys.generate("alice");
    assertTrue(pair.privateKey().startsWith("-----BEGIN PRIVATE KEY-----\n"));
    assertTrue(pair.publicKey().startsWith("ssh-rsa AAAAB3NzaC1yc2E"));
    assertTrue(pair.publicKey().endsWith(" alice\n"));

    Path key = dir.resolve("id");
    Files.writeString(key, pair.privateKey());
    Files.setPosixFilePermissions(
        key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    Process p = new ProcessBuilder("ssh-keygen", "-y", "-f", key.toString()).start();
    assertTrue(p.waitFor(20, TimeUnit.SECONDS));
    String derived = new String(p.getInputStream().readAllBytes()).trim();
    assertEquals(0, p.exitValue());
    assertEquals(derived, pair.publicKey().substring(0, pair.publicKey().lastIndexOf(' ')));
  }

  @Test
  void uploadedKeysGetOpenSshFingerprintsAndNames() throws Exception {
    Path key = dir.resolve("ed");
    Process gen =
        new ProcessBuilder(
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                "me@laptop",
                "-f",
                key.toString())
            .start();
    assertTrue(gen.waitFor(20, TimeUnit.SECONDS));
    String line = Files.readString(Path.of(key + ".pub"));
    Process fp = new ProcessBuilder("ssh-keygen", "-l", "-f", key + ".pub").start();
    assertTrue(fp.waitFor(20, TimeUnit.SECONDS));
    String expected = new String(fp.getInputStream().readAllBytes()).split(" ")[1];

    SshPublicKey parsed = SshPublicKey.parse(line);
    assertEquals("ssh-ed25519", parsed.type());
    assertEquals("me@laptop", parsed.comment());
    assertEquals(expected, parsed.fingerprint());
  }

  @Test
  void malformedKeysGetUpstreamsMessages() {
    var unsupported =
        assertThrows(
            SshPublicKey.InvalidKeyException.class,
            () -> SshPublicKey.parse("ssh-dss AAAAB3NzaC1kc3M="));
    assertEquals("Unsupported key type: ssh-dss", unsupported.getMessage());
    var mismatch =
        assertThrows(
            SshPublicKey.InvalidKeyException.class,
            () -> SshPublicKey.parse("ssh-rsa AAAAB3NzaC1kc3M="));
    assertEquals(SshPublicKey.INVALID, mismatch.getMessage());
    assertThrows(
        SshPublicKey.InvalidKeyException.class, () -> SshPublicKey.parse("ssh-ed25519 !!!"));
    // a blob naming its type but carrying no key bytes is not a key
    assertThrows(
        SshPublicKey.InvalidKeyException.class,
        () -> SshPublicKey.parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA"));
    assertThrows(SshPublicKey.InvalidKeyException.class, () -> SshPublicKey.parse("garbage"));
  }
}
