package ai.dstack.server.logs.control;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Lines of a stream from the first, through one fixed buffer: skipping lines holds none of them,
 * reading one holds only that line. A last line without a newline is still a line.
 */
final class ForwardLines {
  private static final int CHUNK = 64 * 1024;

  private final InputStream in;
  private final byte[] buffer = new byte[CHUNK];
  private int position;
  private int limit;
  private byte[] line = new byte[1024];
  private int lineLength;

  ForwardLines(InputStream in) {
    this.in = in;
  }

  /** Consumes one line without keeping it; {@code false} at the end of the stream. */
  boolean skip() throws IOException {
    if (!fill()) {
      return false;
    }
    do {
      for (int i = position; i < limit; i++) {
        if (buffer[i] == '\n') {
          position = i + 1;
          return true;
        }
      }
      position = limit;
    } while (fill());
    return true;
  }

  /** Reads the next line (see {@link #line()}); {@code false} at the end of the stream. */
  boolean next() throws IOException {
    lineLength = 0;
    if (!fill()) {
      return false;
    }
    do {
      for (int i = position; i < limit; i++) {
        if (buffer[i] == '\n') {
          append(position, i);
          position = i + 1;
          return true;
        }
      }
      append(position, limit);
      position = limit;
    } while (fill());
    return true;
  }

  /** The bytes of the line {@link #next()} read, without its newline: {@code [0, length())}. */
  byte[] line() {
    return line;
  }

  int length() {
    return lineLength;
  }

  /** Whether any byte is left. */
  boolean hasMore() throws IOException {
    return fill();
  }

  private void append(int from, int to) {
    int count = to - from;
    if (lineLength + count > line.length) {
      line = Arrays.copyOf(line, Math.max(line.length * 2, lineLength + count));
    }
    System.arraycopy(buffer, from, line, lineLength, count);
    lineLength += count;
  }

  private boolean fill() throws IOException {
    while (position == limit) {
      int read = in.read(buffer);
      if (read < 0) {
        return false;
      }
      position = 0;
      limit = read;
    }
    return true;
  }
}
