package ai.dstack.server.hosts.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the root commands that build and tear down test hosts. */
public final class Commands {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private Commands() {}

  /** What a command printed and how it ended. */
  public record Result(int exitCode, String stdout, String stderr) {}

  static Result run(List<String> command) throws IOException {
    return run(command, null, TIMEOUT);
  }

  static Result run(List<String> command, Path directory, Duration timeout) throws IOException {
    Path out = Files.createTempFile("dstack-testhosts", ".out");
    Path err = Files.createTempFile("dstack-testhosts", ".err");
    try {
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
              .redirectOutput(out.toFile())
              .redirectError(err.toFile());
      if (directory != null) {
        builder.directory(directory.toFile());
      }
      Process process = builder.start();
      try {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          process.destroyForcibly();
          throw new IOException("timed out after " + timeout.toSeconds() + " s: " + command);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new IOException("interrupted: " + command, e);
      }
      return new Result(
          process.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /** Runs {@code command}; its stdout, or an IOException with what it printed. */
  public static String check(String... command) throws IOException {
    Result result = run(List.of(command));
    if (result.exitCode() != 0) {
      throw new IOException(
          String.join(" ", command)
              + " exited with "
              + result.exitCode()
              + ": "
              + result.stderr().strip()
              + result.stdout().strip());
    }
    return result.stdout();
  }

  /** Runs {@code command} for cleaning up: failures (already gone) do not matter. */
  static void quietly(String... command) {
    try {
      run(List.of(command));
    } catch (IOException e) {
      // cleaning up what may not exist
    }
  }

  /** The pids of the processes whose real uid is {@code uid}. */
  static List<Long> processesOf(int uid) {
    List<Long> pids = new ArrayList<>();
    try (var entries = Files.list(Path.of("/proc"))) {
      for (Path entry : (Iterable<Path>) entries::iterator) {
        String name = entry.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        try {
          for (String line : Files.readAllLines(entry.resolve("status"))) {
            if (line.startsWith("Uid:")) {
              if (Integer.parseInt(line.split("\\s+")[1]) == uid) {
                pids.add(Long.parseLong(name));
              }
              break;
            }
          }
        } catch (IOException | RuntimeException e) {
          // the process ended while being looked at
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return pids;
  }

  /** Kills the given processes with SIGKILL, by pid. */
  static void kill(List<Long> pids) {
    for (long pid : pids) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }
}
