package ai.dstack.agent.io;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.HashSet;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.zip.GZIPInputStream;

/**
 * Unpacks the tar archives the CLI uploads (repo code and {@code files:} archives), plain or gzip.
 * Handles ustar, GNU long names and pax paths; refuses entries that would land outside the target.
 */
public final class TarArchive {
  private TarArchive() {}

  /**
   * Extracts into {@code target}, passing every entry name through {@code rename} first (used to
   * put a {@code files:} archive's top entry at its destination name).
   */
  public static void extract(InputStream raw, Path target, UnaryOperator<String> rename)
      throws IOException {
    BufferedInputStream buffered = new BufferedInputStream(raw);
    buffered.mark(2);
    int b0 = buffered.read();
    int b1 = buffered.read();
    buffered.reset();
    InputStream in = b0 == 0x1f && b1 == 0x8b ? new GZIPInputStream(buffered) : buffered;
    Path root = target.toAbsolutePath().normalize();
    Files.createDirectories(root);
    String longName = null;
    byte[] header = new byte[512];
    while (true) {
      if (in.readNBytes(header, 0, 512) < 512 || isZero(header)) {
        return;
      }
      String name = string(header, 0, 100);
      String prefix = string(header, 345, 155);
      if (!prefix.isEmpty() && string(header, 257, 6).startsWith("ustar")) {
        name = prefix + "/" + name;
      }
      long size = octal(header, 124, 12);
      int mode = (int) octal(header, 100, 8);
      char type = (char) header[156];
      String linkName = string(header, 157, 100);
      if (type == 'L' || type == 'x') {
        byte[] data = readPadded(in, size);
        longName = type == 'L' ? cString(data) : paxPath(data, longName);
        continue;
      }
      if (longName != null) {
        name = longName;
        longName = null;
      }
      name = rename.apply(name);
      Path path = root.resolve(name).normalize();
      if (!path.startsWith(root)) {
        throw new IOException("archive entry escapes the target directory: " + name);
      }
      switch (type) {
        case '5' -> {
          Files.createDirectories(path);
          skipPadded(in, size);
        }
        case '2' -> {
          Files.createDirectories(path.getParent());
          Files.deleteIfExists(path);
          Path link = Path.of(linkName);
          if (!path.getParent().resolve(link).normalize().startsWith(root)) {
            throw new IOException("symbolic link escapes the target directory: " + name);
          }
          Files.createSymbolicLink(path, link);
          skipPadded(in, size);
        }
        case '0', '\0', '7' -> {
          Files.createDirectories(path.getParent());
          try (OutputStream out = Files.newOutputStream(path)) {
            copy(in, out, size);
          }
          skipPadding(in, size);
          applyMode(path, mode);
        }
        default -> skipPadded(in, size);
      }
    }
  }

  /**
   * Extracts a file at {@code archive} (see {@link #extract(InputStream, Path, UnaryOperator)}).
   */
  public static void extract(Path archive, Path target, UnaryOperator<String> rename)
      throws IOException {
    try (InputStream in = Files.newInputStream(archive)) {
      extract(in, target, rename);
    }
  }

  private static void applyMode(Path path, int mode) {
    Set<PosixFilePermission> perms = new HashSet<>();
    PosixFilePermission[] order = {
      PosixFilePermission.OTHERS_EXECUTE,
      PosixFilePermission.OTHERS_WRITE,
      PosixFilePermission.OTHERS_READ,
      PosixFilePermission.GROUP_EXECUTE,
      PosixFilePermission.GROUP_WRITE,
      PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE,
      PosixFilePermission.OWNER_WRITE,
      PosixFilePermission.OWNER_READ
    };
    for (int bit = 0; bit < order.length; bit++) {
      if ((mode & (1 << bit)) != 0) {
        perms.add(order[bit]);
      }
    }
    perms.add(PosixFilePermission.OWNER_READ);
    perms.add(PosixFilePermission.OWNER_WRITE);
    try {
      Files.setPosixFilePermissions(path, perms);
    } catch (IOException | UnsupportedOperationException e) {
      // permissions are best effort: the content is what matters
    }
  }

  private static String paxPath(byte[] data, String current) {
    String text = new String(data, StandardCharsets.UTF_8);
    int i = 0;
    while (i < text.length()) {
      int space = text.indexOf(' ', i);
      if (space < 0) {
        break;
      }
      int length = Integer.parseInt(text.substring(i, space));
      String record = text.substring(space + 1, i + length - 1);
      if (record.startsWith("path=")) {
        return record.substring(5);
      }
      i += length;
    }
    return current;
  }

  private static byte[] readPadded(InputStream in, long size) throws IOException {
    byte[] data = in.readNBytes((int) size);
    if (data.length < size) {
      throw new EOFException("truncated archive");
    }
    skipPadding(in, size);
    return data;
  }

  private static void skipPadded(InputStream in, long size) throws IOException {
    copy(in, OutputStream.nullOutputStream(), size);
    skipPadding(in, size);
  }

  private static void skipPadding(InputStream in, long size) throws IOException {
    long padding = (512 - size % 512) % 512;
    in.readNBytes((int) padding);
  }

  private static void copy(InputStream in, OutputStream out, long size) throws IOException {
    byte[] buffer = new byte[64 * 1024];
    long left = size;
    while (left > 0) {
      int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
      if (n < 0) {
        throw new EOFException("truncated archive");
      }
      out.write(buffer, 0, n);
      left -= n;
    }
  }

  private static boolean isZero(byte[] block) {
    for (byte b : block) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }

  private static String string(byte[] b, int offset, int length) {
    int end = offset;
    while (end < offset + length && b[end] != 0) {
      end++;
    }
    return new String(b, offset, end - offset, StandardCharsets.UTF_8);
  }

  private static String cString(byte[] data) {
    int end = 0;
    while (end < data.length && data[end] != 0) {
      end++;
    }
    return new String(data, 0, end, StandardCharsets.UTF_8);
  }

  private static long octal(byte[] b, int offset, int length) throws IOException {
    if ((b[offset] & 0x80) != 0) {
      long value = 0;
      for (int i = offset + 1; i < offset + length; i++) {
        value = (value << 8) | (b[i] & 0xff);
      }
      return value;
    }
    String s = string(b, offset, length).trim();
    try {
      return s.isEmpty() ? 0 : Long.parseLong(s, 8);
    } catch (NumberFormatException e) {
      throw new IOException("not a tar archive");
    }
  }
}
