package ai.dstack.agent.host;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * The one way the agent runs a host tool and reads its output, so that tests can answer with
 * recorded outputs instead.
 */
public interface CommandRunner {
  /** A finished command: its exit code and everything it printed. */
  record Result(int exitCode, String stdout, String stderr) {
    public boolean ok() {
      return exitCode == 0;
    }
  }

  /**
   * Runs argv (argv[0] looked up on PATH) with no input and waits for it.
   *
   * @throws IOException when it cannot be started or has not finished within the timeout (it is
   *     then killed)
   */
  Result run(List<String> argv, Duration timeout) throws IOException;

  /** The real runner, on this host's processes. */
  static CommandRunner system() {
    return new ProcessCommandRunner();
  }
}
