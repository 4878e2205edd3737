package ai.dstack.agent.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.agent.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessMetricsTest {
  @TempDir Path proc;

  @Test
  void sumsTheTreeOfTheRootAndSkipsOthers() throws IOException {
    // a command name with spaces and parentheses must not shift the fields
    process(1, 0, "systemd", 5000, 5000, 0, 0, 9000, 8000);
    process(100, 1, "python (train) x)", 200, 100, 30, 20, 1000, 600);
    process(101, 100, "sh", 10, 5, 0, 0, 2000, 1500);
    process(102, 101, "worker", 40, 25, 0, 0, 3000, 2500);
    process(200, 1, "sshd", 7000, 7000, 0, 0, 4000, 3000);
    kernelThread(2, 0, "kthreadd");
    Files.createDirectories(proc.resolve("sys"));
    Files.createDirectories(proc.resolve("999")); // exited while listed: no stat

    ProcessMetrics metrics = new ProcessMetrics(proc, 100);
    assertEquals(Set.of(100L, 101L, 102L), metrics.tree(List.of(100L)));
    assertEquals(Set.of(), metrics.tree(List.of(4242L)));

    List<GpuSample> gpus = List.of(new GpuSample(5, 50));
    MetricsSample sample = metrics.sample(List.of(100L, 4242L), gpus);
    // (200+100+30+20) + (10+5) + (40+25) ticks at 100 Hz
    assertEquals(430L * 10_000, sample.cpuUsageMicro());
    assertEquals((1000L + 2000 + 3000) * 1024, sample.memoryUsageBytes());
    assertEquals((600L + 1500 + 2500) * 1024, sample.memoryWorkingSetBytes());
    assertEquals(gpus, sample.gpus());
    long now = System.currentTimeMillis() * 1000;
    assertTrue(Math.abs(now - sample.timestampMicro()) < 5_000_000);
  }

  @Test
  void theClockTickRateScalesCpuTime() throws IOException {
    process(7, 1, "x", 250, 0, 0, 0, 1, 1);
    assertEquals(
        1_000_000, new ProcessMetrics(proc, 250).sample(List.of(7L), List.of()).cpuUsageMicro());
  }

  @Test
  void kernelThreadsCountCpuButNoMemory() throws IOException {
    kernelThread(2, 0, "kthreadd");
    MetricsSample sample = new ProcessMetrics(proc, 100).sample(List.of(2L), List.of());
    assertEquals(30_000, sample.cpuUsageMicro());
    assertEquals(0, sample.memoryUsageBytes());
  }

  @Test
  void clockTicksComeFromGetconfOr100() {
    RecordedRunner runner = RecordedRunner.answering(0, "250\n");
    assertEquals(250, ProcessMetrics.clockTicks(runner));
    assertEquals(List.of(List.of("getconf", "CLK_TCK")), runner.calls);
    assertEquals(100, ProcessMetrics.clockTicks(RecordedRunner.answering(0, "undefined\n")));
    assertEquals(100, ProcessMetrics.clockTicks(RecordedRunner.answering(1, "")));
    assertEquals(100, ProcessMetrics.clockTicks(RecordedRunner.failing(new IOException("x"))));
  }

  @Test
  void writesUpstreamsMetricsKeys() {
    MetricsSample sample =
        new MetricsSample(1700000000000000L, 42, 1024, 512, List.of(new GpuSample(2048, 7)));
    assertEquals(
        "{\"timestamp_micro\":1700000000000000,\"cpu_usage_micro\":42,\"memory_usage_bytes\":1024,"
            + "\"memory_working_set_bytes\":512,"
            + "\"gpus\":[{\"gpu_memory_usage_bytes\":2048,\"gpu_util_percent\":7}]}",
        Json.write(sample.toJson()));
  }

  @Test
  void measuresARealProcessTree() throws Exception {
    // the busy loop runs in a grandchild: its time shows only if descendants are counted
    Process shell = new ProcessBuilder("sh", "-c", "sh -c 'while :; do :; done' & wait").start();
    try {
      ProcessMetrics metrics = ProcessMetrics.forHost(CommandRunner.system());
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (metrics.tree(List.of(shell.pid())).size() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertTrue(metrics.tree(List.of(shell.pid())).size() >= 2);
      MetricsSample first = metrics.sample(List.of(shell.pid()), List.of());
      Thread.sleep(1000);
      MetricsSample second = metrics.sample(List.of(shell.pid()), List.of());
      assertTrue(
          second.cpuUsageMicro() - first.cpuUsageMicro() > 300_000,
          first.cpuUsageMicro() + " then " + second.cpuUsageMicro());
      assertTrue(second.memoryUsageBytes() > 0);
      assertTrue(second.memoryWorkingSetBytes() > 0);
      assertTrue(second.memoryWorkingSetBytes() <= second.memoryUsageBytes());
      assertTrue(second.timestampMicro() - first.timestampMicro() >= 1_000_000);
    } finally {
      shell.descendants().forEach(ProcessHandle::destroyForcibly);
      shell.destroyForcibly();
    }
  }

  private void process(
      long pid,
      long ppid,
      String comm,
      long utime,
      long stime,
      long cutime,
      long cstime,
      long rssKib,
      long anonKib)
      throws IOException {
    Path dir = Files.createDirectories(proc.resolve(Long.toString(pid)));
    Files.writeString(dir.resolve("stat"), stat(pid, ppid, comm, utime, stime, cutime, cstime));
    Files.writeString(
        dir.resolve("status"),
        "Name:\t"
            + comm
            + "\nState:\tS (sleeping)\nPPid:\t"
            + ppid
            + "\nVmPeak:\t  999999 kB\nVmRSS:\t"
            + rssKib
            + " kB\nRssAnon:\t"
            + anonKib
            + " kB\nRssFile:\t     12 kB\nThreads:\t4\n");
  }

  private void kernelThread(long pid, long ppid, String comm) throws IOException {
    Path dir = Files.createDirectories(proc.resolve(Long.toString(pid)));
    Files.writeString(dir.resolve("stat"), stat(pid, ppid, comm, 2, 1, 0, 0));
    Files.writeString(dir.resolve("status"), "Name:\t" + comm + "\nState:\tS (sleeping)\n");
  }

  /** A stat(5) line: pid (comm) state ppid pgrp session tty tpgid flags 4×faults times … */
  private static String stat(
      long pid, long ppid, String comm, long utime, long stime, long cutime, long cstime) {
    return pid
        + " ("
        + comm
        + ") S "
        + ppid
        + " "
        + pid
        + " "
        + pid
        + " 0 -1 4194560 1234 0 0 0 "
        + utime
        + " "
        + stime
        + " "
        + cutime
        + " "
        + cstime
        + " 20 0 4 0 12345 123456789 2345 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0"
        + " 0 0 0 0\n";
  }
}
