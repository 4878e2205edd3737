package ai.dstack.server.proxy.control;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * The client's request body, read as it is sent on. Its first {@link #REPLAYABLE} bytes are kept,
 * so a request whose replica turns out to be unreachable can go to the next one; a longer body
 * cannot be sent twice.
 */
public final class RequestBody {
  public static final int REPLAYABLE = 64 * 1024;

  /** The client's side failed while its body was read: nothing to answer to. */
  public static final class ClientGone extends IOException {
    ClientGone(IOException cause) {
      super(cause.getMessage(), cause);
    }
  }

  private final InputStream client;
  private final long length;
  private byte[] kept = new byte[0];
  private int keptLength;
  private boolean overflowed;

  /**
   * @param length the body's length from Content-Length, 0 for none, -1 when the client sends it
   *     chunked
   */
  public RequestBody(InputStream client, long length) {
    this.client = client;
    this.length = length;
  }

  public static RequestBody empty() {
    return new RequestBody(InputStream.nullInputStream(), 0);
  }

  public long length() {
    return length;
  }

  /** Whether everything read so far can be read again from the start. */
  public boolean replayable() {
    return !overflowed;
  }

  /** The body from its start: the kept bytes first, then the rest of what the client sends. */
  public InputStream open() {
    if (overflowed) {
      throw new IllegalStateException("the body was longer than " + REPLAYABLE + " bytes");
    }
    return new InputStream() {
      private int position;

      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] buffer, int offset, int count) throws IOException {
        if (count == 0) {
          return 0;
        }
        if (position < keptLength) {
          int n = Math.min(count, keptLength - position);
          System.arraycopy(kept, position, buffer, offset, n);
          position += n;
          return n;
        }
        int n;
        try {
          n = client.read(buffer, offset, count);
        } catch (IOException e) {
          throw new ClientGone(e);
        }
        if (n > 0) {
          keep(buffer, offset, n);
          position += n;
        }
        return n;
      }
    };
  }

  private void keep(byte[] buffer, int offset, int n) {
    if (overflowed || keptLength + n > REPLAYABLE) {
      overflowed = true;
      kept = null;
      return;
    }
    if (keptLength + n > kept.length) {
      kept = Arrays.copyOf(kept, Math.min(REPLAYABLE, Math.max(keptLength + n, kept.length * 2)));
    }
    System.arraycopy(buffer, offset, kept, keptLength, n);
    keptLength += n;
  }
}
