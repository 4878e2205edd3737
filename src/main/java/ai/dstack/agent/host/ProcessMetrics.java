package ai.dstack.agent.host;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Resource usage of a job's process tree, read from {@code /proc}: the agent runs jobs as plain
 * processes, so there is no cgroup of their own to read as upstream's runner does.
 */
public final class ProcessMetrics {
  private static final Logger LOG = Logger.getLogger(ProcessMetrics.class.getName());
  // USER_HZ on every mainstream Linux build
  private static final long DEFAULT_CLOCK_TICKS = 100;

  // indexes into the fields after the command name: state is field 3 of stat(5), so index 0
  private static final int STAT_PPID = 1;
  private static final int STAT_UTIME = 11;
  private static final int STAT_STIME = 12;
  private static final int STAT_CUTIME = 13;
  private static final int STAT_CSTIME = 14;

  private final Path procRoot;
  private final long clockTicksPerSecond;

  public ProcessMetrics(Path procRoot, long clockTicksPerSecond) {
    if (clockTicksPerSecond <= 0) {
      throw new IllegalArgumentException("clock ticks per second must be positive");
    }
    this.procRoot = procRoot;
    this.clockTicksPerSecond = clockTicksPerSecond;
  }

  /** Reads this host's {@code /proc}, its clock tick rate asked of {@code getconf}. */
  public static ProcessMetrics forHost(CommandRunner runner) {
    return new ProcessMetrics(Path.of("/proc"), clockTicks(runner));
  }

  /** {@code getconf CLK_TCK}, or 100 when that fails. */
  public static long clockTicks(CommandRunner runner) {
    try {
      CommandRunner.Result result =
          runner.run(List.of("getconf", "CLK_TCK"), Duration.ofSeconds(5));
      if (result.ok()) {
        long ticks = Long.parseLong(result.stdout().strip());
        if (ticks > 0) {
          return ticks;
        }
      }
      LOG.warning("getconf CLK_TCK answered '" + result.stdout().strip() + "': assuming 100");
    } catch (IOException | NumberFormatException e) {
      LOG.warning("getconf CLK_TCK failed (" + e.getMessage() + "): assuming 100");
    }
    return DEFAULT_CLOCK_TICKS;
  }

  /**
   * The usage of the live processes {@code roots} and all their descendants, now.
   *
   * <p>CPU time includes what reaped children had used (cutime, cstime), so the total does not drop
   * when a process of the tree exits and its parent waits for it.
   */
  public MetricsSample sample(Collection<Long> roots, List<GpuSample> gpus) {
    long timestamp = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
    long cpuTicks = 0;
    long rssKib = 0;
    long anonKib = 0;
    for (long pid : tree(roots)) {
      try {
        long[] stat = stat(pid);
        Map<String, Long> status = status(pid);
        cpuTicks += stat[STAT_UTIME] + stat[STAT_STIME] + stat[STAT_CUTIME] + stat[STAT_CSTIME];
        // kernel threads and zombies have no resident memory lines
        rssKib += status.getOrDefault("VmRSS", 0L);
        anonKib += status.getOrDefault("RssAnon", 0L);
      } catch (IOException | RuntimeException e) {
        // it exited between listing and reading
      }
    }
    return new MetricsSample(
        timestamp,
        cpuTicks * 1_000_000L / clockTicksPerSecond,
        rssKib * 1024,
        anonKib * 1024,
        gpus);
  }

  /** {@code roots} that are alive and all their descendants, found by parent links. */
  public Set<Long> tree(Collection<Long> roots) {
    Map<Long, List<Long>> children = new HashMap<>();
    Set<Long> live = new LinkedHashSet<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(procRoot)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (name.isEmpty() || !name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        long pid = Long.parseLong(name);
        try {
          long parent = stat(pid)[STAT_PPID];
          live.add(pid);
          children.computeIfAbsent(parent, p -> new ArrayList<>()).add(pid);
        } catch (IOException | RuntimeException e) {
          // it exited while being listed
        }
      }
    } catch (IOException e) {
      LOG.warning("cannot list " + procRoot + ": " + e.getMessage());
      return Set.of();
    }
    Set<Long> tree = new LinkedHashSet<>();
    Deque<Long> pending = new ArrayDeque<>();
    for (long root : roots) {
      if (live.contains(root)) {
        pending.add(root);
      }
    }
    while (!pending.isEmpty()) {
      long pid = pending.poll();
      if (tree.add(pid)) {
        pending.addAll(children.getOrDefault(pid, List.of()));
      }
    }
    return tree;
  }

  /** The numeric fields of {@code /proc/<pid>/stat} after the command name (state is 0). */
  private long[] stat(long pid) throws IOException {
    String text = Files.readString(procRoot.resolve(Long.toString(pid)).resolve("stat"));
    // the command name is in parentheses and may itself contain spaces and parentheses
    int end = text.lastIndexOf(')');
    if (end < 0) {
      throw new IOException("malformed stat of " + pid);
    }
    String[] fields = text.substring(end + 1).trim().split("\\s+");
    if (fields.length <= STAT_CSTIME) {
      throw new IOException("short stat of " + pid);
    }
    long[] values = new long[STAT_CSTIME + 1];
    for (int i = 1; i <= STAT_CSTIME; i++) {
      values[i] = Long.parseLong(fields[i]);
    }
    return values;
  }

  /** The kB lines of {@code /proc/<pid>/status}, by name, in KiB. */
  private Map<String, Long> status(long pid) throws IOException {
    Map<String, Long> values = new HashMap<>();
    for (String line : Files.readAllLines(procRoot.resolve(Long.toString(pid)).resolve("status"))) {
      int colon = line.indexOf(':');
      if (colon <= 0) {
        continue;
      }
      String[] value = line.substring(colon + 1).trim().split("\\s+");
      if (value.length == 2 && value[1].equals("kB")) {
        values.put(line.substring(0, colon), Long.parseLong(value[0]));
      }
    }
    return values;
  }
}
