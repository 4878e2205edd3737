package ai.dstack.agent.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The server side of an upgraded connection: sends frames, and a reader thread answers control
 * frames.
 */
public final class WebSocket {
  public static final int NORMAL_CLOSURE = 1000;
  public static final int UNSUPPORTED_DATA = 1003;

  private final InputStream in;
  private final OutputStream out;
  private volatile boolean peerClosed;
  private boolean closeSent;

  WebSocket(InputStream in, OutputStream out) {
    this.in = in;
    this.out = out;
  }

  /** True once the client has closed the connection or gone away. */
  public boolean peerClosed() {
    return peerClosed;
  }

  public synchronized void sendBinary(byte[] data, int offset, int length) throws IOException {
    frame(0x2, data, offset, length);
  }

  public synchronized void close(int code, String reason) throws IOException {
    if (closeSent) {
      return;
    }
    closeSent = true;
    byte[] text = reason.getBytes(StandardCharsets.UTF_8);
    byte[] payload = new byte[2 + text.length];
    payload[0] = (byte) (code >> 8);
    payload[1] = (byte) code;
    System.arraycopy(text, 0, payload, 2, text.length);
    frame(0x8, payload, 0, payload.length);
  }

  private void frame(int opcode, byte[] data, int offset, int length) throws IOException {
    out.write(0x80 | opcode);
    if (length < 126) {
      out.write(length);
    } else if (length < 65536) {
      out.write(126);
      out.write(length >> 8);
      out.write(length);
    } else {
      out.write(127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        out.write((int) ((long) length >> shift));
      }
    }
    out.write(data, offset, length);
    out.flush();
  }

  void startReader(String name) {
    Thread reader = new Thread(this::readLoop, name + "-ws-reader");
    reader.setDaemon(true);
    reader.start();
  }

  private void readLoop() {
    try {
      while (true) {
        int b0 = in.read();
        int b1 = in.read();
        if (b0 < 0 || b1 < 0) {
          break;
        }
        int opcode = b0 & 0x0f;
        long length = b1 & 0x7f;
        if (length == 126) {
          length = (in.read() << 8) | in.read();
        } else if (length == 127) {
          length = 0;
          for (int i = 0; i < 8; i++) {
            length = (length << 8) | in.read();
          }
        }
        byte[] mask = (b1 & 0x80) != 0 ? in.readNBytes(4) : null;
        byte[] payload = in.readNBytes((int) Math.min(length, 1 << 20));
        if (mask != null) {
          for (int i = 0; i < payload.length; i++) {
            payload[i] ^= mask[i % 4];
          }
        }
        if (opcode == 0x8) {
          break;
        }
        if (opcode == 0x9) {
          synchronized (this) {
            frame(0xA, payload, 0, payload.length);
          }
        }
      }
    } catch (IOException e) {
      // a vanished client is the same as a closed one
    }
    peerClosed = true;
  }
}
