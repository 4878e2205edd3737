package ai.dstack.server.hosts;

/** Quoting for the POSIX shell commands sent to hosts. */
final class Shell {
  private Shell() {}

  /** {@code text} as one shell word, taken literally. */
  static String quote(String text) {
    return "'" + text.replace("'", "'\\''") + "'";
  }
}
