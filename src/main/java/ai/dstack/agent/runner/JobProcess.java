package ai.dstack.agent.runner;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A job's process tree, started by a small launch script under {@code setsid} with its output going
 * straight to a file (so it survives the agent) and its exit code written by the script when it
 * ends. Signals go to the launcher's descendants and their process groups, never to the launcher
 * itself, which must live to record the exit code.
 */
final class JobProcess {
  private final long pid;
  private final Instant started;

  private JobProcess(long pid, Instant started) {
    this.pid = pid;
    this.started = started;
  }

  static JobProcess launch(Path script, Path directory, Map<String, String> env, Path output)
      throws IOException {
    ProcessBuilder builder = new ProcessBuilder("setsid", "/bin/sh", script.toString());
    builder.directory(directory.toFile());
    builder.environment().clear();
    builder.environment().putAll(env);
    builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    builder.redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
    builder.redirectErrorStream(true);
    Process process = builder.start();
    return new JobProcess(process.pid(), process.info().startInstant().orElse(Instant.EPOCH));
  }

  /** The process recorded before a restart, if it is still that same process. */
  static Optional<JobProcess> reattach(long pid, Instant started) {
    return ProcessHandle.of(pid)
        .filter(ProcessHandle::isAlive)
        .filter(h -> h.info().startInstant().map(started::equals).orElse(false))
        .map(h -> new JobProcess(pid, started));
  }

  long pid() {
    return pid;
  }

  Instant started() {
    return started;
  }

  boolean alive() {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  /** Every live process of the job (not the launcher). */
  List<Long> jobPids() {
    List<Long> pids = new ArrayList<>();
    ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(d -> pids.add(d.pid())));
    return pids;
  }

  /**
   * Sends {@code signal} (TERM, KILL) to the job's processes and their process groups. A TERM
   * spares the terminal relay ({@code script}): it must live on to carry what the job prints as it
   * stops.
   */
  void signal(String signal) {
    List<Long> pids = jobPids();
    if (signal.equals("TERM")) {
      pids.removeIf(JobProcess::isTerminalRelay);
    }
    if (pids.isEmpty()) {
      return;
    }
    long ownGroup = processGroup(pid);
    Set<String> targets = new LinkedHashSet<>();
    for (long p : pids) {
      long group = processGroup(p);
      if (group > 0 && group != ownGroup) {
        targets.add("-" + group);
      }
      targets.add(Long.toString(p));
    }
    List<String> command = new ArrayList<>(List.of("kill", "-s", signal, "--"));
    command.addAll(targets);
    try {
      Process kill =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      kill.waitFor(10, TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new IllegalStateException("cannot run kill: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static boolean isTerminalRelay(long pid) {
    return ProcessHandle.of(pid)
        .flatMap(h -> h.info().command())
        .map(command -> command.equals(LaunchScript.TERMINAL_RELAY.toString()))
        .orElse(false);
  }

  /** The process group from /proc/PID/stat (after the command name, which may hold spaces). */
  static long processGroup(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(fields[2]);
    } catch (IOException | RuntimeException gone) {
      return -1;
    }
  }
}
