package ai.dstack.agent.host;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** {@link CommandRunner} on real processes. */
final class ProcessCommandRunner implements CommandRunner {
  /**
   * How long to wait for the output pipes to close once the command has exited: a background
   * process it left behind may hold them open forever.
   */
  private static final Duration OUTPUT_GRACE = Duration.ofSeconds(2);

  @Override
  public Result run(List<String> argv, Duration timeout) throws IOException {
    Process process = new ProcessBuilder(argv).start();
    process.getOutputStream().close();
    FutureTask<String> stdout = drain(process.getInputStream());
    FutureTask<String> stderr = drain(process.getErrorStream());
    try {
      if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        kill(process);
        throw new IOException(argv.get(0) + " did not finish within " + timeout);
      }
      return new Result(process.exitValue(), collect(stdout, argv), collect(stderr, argv));
    } catch (InterruptedException e) {
      kill(process);
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while running " + argv.get(0));
    }
  }

  private static FutureTask<String> drain(InputStream stream) {
    FutureTask<String> task =
        new FutureTask<>(
            () -> {
              try (stream) {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
              }
            });
    // one reader per pipe: reading them in turn could deadlock on a full pipe buffer
    Thread reader = new Thread(task, "command-output");
    reader.setDaemon(true);
    reader.start();
    return task;
  }

  private static String collect(FutureTask<String> output, List<String> argv)
      throws IOException, InterruptedException {
    try {
      return output.get(OUTPUT_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new IOException("reading the output of " + argv.get(0), e.getCause());
    } catch (TimeoutException e) {
      throw new IOException(argv.get(0) + " exited but its output stays open");
    }
  }

  private static void kill(Process process) {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }
}
