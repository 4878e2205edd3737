package ai.dstack.agent.shim;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * The host user's {@code ~/.ssh/authorized_keys}, to which a task's {@code host_ssh_keys} are added
 * for as long as the task exists (the CLI reaches the host with the user's key). Only keys that
 * were not there before are added, so removing them never takes away the owner's own.
 */
final class AuthorizedKeys {
  private static final Object LOCK = new Object();
  private final Path file;

  AuthorizedKeys(Path home) {
    this.file = home.resolve(".ssh").resolve("authorized_keys");
  }

  /** Adds the keys not present yet; returns those it added. */
  List<String> add(List<String> keys) throws IOException {
    synchronized (LOCK) {
      List<String> lines = read();
      List<String> added = new ArrayList<>();
      for (String key : keys) {
        String trimmed = key.strip();
        if (!trimmed.isEmpty() && lines.stream().noneMatch(l -> sameKey(l, trimmed))) {
          lines.add(trimmed);
          added.add(trimmed);
        }
      }
      if (!added.isEmpty()) {
        write(lines);
      }
      return added;
    }
  }

  void remove(List<String> keys) throws IOException {
    synchronized (LOCK) {
      List<String> lines = read();
      if (lines.removeIf(l -> keys.stream().anyMatch(k -> l.strip().equals(k)))) {
        write(lines);
      }
    }
  }

  /** Type and base64 body decide; comments may differ. */
  private static boolean sameKey(String line, String key) {
    String[] a = line.strip().split("\\s+");
    String[] b = key.split("\\s+");
    return a.length >= 2 && b.length >= 2 && a[0].equals(b[0]) && a[1].equals(b[1]);
  }

  private List<String> read() throws IOException {
    return Files.exists(file) ? new ArrayList<>(Files.readAllLines(file)) : new ArrayList<>();
  }

  private void write(List<String> lines) throws IOException {
    Path dir = file.getParent();
    if (!Files.exists(dir)) {
      Files.createDirectories(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    Path tmp = dir.resolve("authorized_keys.dstack-agent.tmp");
    Files.write(tmp, lines);
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
    Files.move(
        tmp,
        file,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }
}
