package ai.dstack.agent.host;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Answers every command with one recorded result (or failure) and remembers what was run. */
final class RecordedRunner implements CommandRunner {
  final List<List<String>> calls = new ArrayList<>();
  private final Result result;
  private final IOException failure;

  private RecordedRunner(Result result, IOException failure) {
    this.result = result;
    this.failure = failure;
  }

  static RecordedRunner answering(int exitCode, String stdout) {
    return new RecordedRunner(new Result(exitCode, stdout, exitCode == 0 ? "" : "boom"), null);
  }

  static RecordedRunner failing(IOException failure) {
    return new RecordedRunner(null, failure);
  }

  @Override
  public Result run(List<String> argv, Duration timeout) throws IOException {
    calls.add(argv);
    if (failure != null) {
      throw failure;
    }
    return result;
  }
}
