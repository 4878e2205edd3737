package ai.dstack.agent.runner;

import java.io.ByteArrayOutputStream;

/**
 * Turns terminal output into log text, as upstream's runner does for {@code pull}: escape sequences
 * removed, CRLF made LF, and a bare CR (progress bars) overwrites the line instead of piling up.
 * Stateful, since sequences and lines span chunks.
 */
final class AnsiText {
  private enum Mode {
    TEXT,
    ESC,
    CSI,
    OSC,
    OSC_ESC
  }

  private final ByteArrayOutputStream line = new ByteArrayOutputStream();
  private Mode mode = Mode.TEXT;
  private boolean pendingCr;

  /** Feeds output bytes; returns the completed lines (possibly empty). */
  byte[] feed(byte[] data, int offset, int length) {
    ByteArrayOutputStream done = new ByteArrayOutputStream();
    for (int i = offset; i < offset + length; i++) {
      int b = data[i] & 0xff;
      switch (mode) {
        case ESC -> mode = b == '[' ? Mode.CSI : b == ']' ? Mode.OSC : Mode.TEXT;
        case CSI -> {
          if (b >= 0x40 && b <= 0x7e) {
            mode = Mode.TEXT;
          }
        }
        case OSC -> {
          if (b == 0x07) {
            mode = Mode.TEXT;
          } else if (b == 0x1b) {
            mode = Mode.OSC_ESC;
          }
        }
        case OSC_ESC -> mode = b == '\\' ? Mode.TEXT : Mode.OSC;
        case TEXT -> text(b, done);
      }
    }
    return done.toByteArray();
  }

  private void text(int b, ByteArrayOutputStream done) {
    if (pendingCr) {
      pendingCr = false;
      if (b != '\n') {
        line.reset();
      }
    }
    switch (b) {
      case 0x1b -> mode = Mode.ESC;
      case '\r' -> pendingCr = true;
      case '\n' -> {
        line.write('\n');
        done.writeBytes(line.toByteArray());
        line.reset();
      }
      default -> {
        if (b >= 0x20 || b == '\t' || b == 0x08) {
          line.write(b);
        }
      }
    }
  }

  /** The unfinished line, handed out when output pauses so that prompts and partial lines show. */
  byte[] flush() {
    byte[] rest = line.toByteArray();
    line.reset();
    return rest;
  }
}
