package ai.dstack.server.logs.control;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Lines of a file from the last to the first, each with the byte offset it starts at, read in
 * chunks from the end: memory holds one line and one chunk, whatever the file size.
 *
 * <p>With a {@code before} offset (a descending {@code next_token}) only lines starting before it
 * are returned; the line containing that offset is still read whole.
 */
final class ReverseLines {
  private static final int CHUNK = 8192;

  private final FileChannel file;
  private final long before;

  /** Unread bytes of the file are {@code [0, cursor)}. */
  private long cursor;

  /** Bytes read but not yet returned: {@code data[start, end)}, file offsets {@code cursor…}. */
  private byte[] data = new byte[2 * CHUNK];

  private int start = data.length;
  private int end = data.length;

  /** {@code data[scanned, end)} is known to hold no newline. */
  private int scanned = data.length;

  private int lineFrom;
  private int lineTo;
  private long lineOffset;

  /**
   * @param before only lines starting before this offset, or {@code -1} for all
   */
  ReverseLines(FileChannel file, long before) throws IOException {
    this.file = file;
    this.before = before < 0 ? Long.MAX_VALUE : before;
    long size = file.size();
    this.cursor = before >= 0 && before < size ? endOfLineAt(before, size) : size;
  }

  /** Reads the next line back (see {@link #data()}); {@code false} when none is left. */
  boolean previous() throws IOException {
    while (true) {
      int newline = lastNewline();
      if (newline >= 0) {
        if (take(newline + 1, cursor + (newline + 1 - start))) {
          end = newline;
          scanned = end;
          return true;
        }
        end = newline;
        scanned = end;
      } else if (cursor > 0) {
        readChunk();
      } else {
        // what remains is the first line of the file
        boolean first = end > start && take(start, 0);
        end = start;
        scanned = end;
        return first;
      }
    }
  }

  /** The line {@link #previous()} found: {@code data()[from(), to())}, no newline. */
  byte[] data() {
    return data;
  }

  int from() {
    return lineFrom;
  }

  int to() {
    return lineTo;
  }

  long offset() {
    return lineOffset;
  }

  private boolean take(int from, long offset) {
    if (offset >= before) {
      return false;
    }
    lineFrom = from;
    lineTo = end;
    lineOffset = offset;
    return true;
  }

  private int lastNewline() {
    for (int i = scanned - 1; i >= start; i--) {
      if (data[i] == '\n') {
        return i;
      }
    }
    scanned = start;
    return -1;
  }

  /** Prepends the chunk before {@code cursor}, moving or growing the array when short of room. */
  private void readChunk() throws IOException {
    int count = (int) Math.min(CHUNK, cursor);
    if (start < count) {
      int kept = end - start;
      byte[] target = kept + count <= data.length ? data : new byte[2 * (kept + count)];
      int newStart = target.length - kept;
      System.arraycopy(data, start, target, newStart, kept);
      scanned += newStart - start;
      data = target;
      start = newStart;
      end = newStart + kept;
    }
    start -= count;
    cursor -= count;
    readFully(ByteBuffer.wrap(data, start, count), cursor);
  }

  /** Where the line containing {@code offset} ends (after its newline), or the file size. */
  private long endOfLineAt(long offset, long size) throws IOException {
    ByteBuffer chunk = ByteBuffer.allocate(CHUNK);
    long position = offset;
    while (position < size) {
      chunk.clear();
      int read = file.read(chunk, position);
      if (read <= 0) {
        break;
      }
      for (int i = 0; i < read; i++) {
        if (chunk.get(i) == '\n') {
          return position + i + 1;
        }
      }
      position += read;
    }
    return size;
  }

  private void readFully(ByteBuffer target, long position) throws IOException {
    while (target.hasRemaining()) {
      int read = file.read(target, position);
      if (read < 0) {
        throw new EOFException("log file shrank while reading it");
      }
      position += read;
    }
  }
}
