package ai.dstack.server.hosts;

import ai.dstack.server.hosts.testing.Commands;
import ai.dstack.server.hosts.testing.TestHost;
import ai.dstack.server.hosts.testing.TestHosts;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Health-check throughput over pooled sessions: deploys the agent to N throwaway hosts, then checks
 * them round-robin for several rounds of a few seconds each and prints the medians of checks per
 * second and of CPU time per check, here (this JVM: HTTP, SSH, forwards) and on the hosts (their
 * sshd and agent processes). Arguments: {@code --hosts N [--rounds 5] [--seconds 5] [--workers 16]
 * [--jar target/dstack-agent.jar]}. Used by {@code scripts/bench/health.sh}.
 */
public final class HealthBench {
  /** Clock ticks per second of /proc/PID/stat times (USER_HZ, 100 on Linux). */
  private static final double TICKS_PER_SECOND = 100;

  private HealthBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    int count = Integer.parseInt(options.getOrDefault("hosts", "1"));
    int rounds = Integer.parseInt(options.getOrDefault("rounds", "5"));
    Duration round = Duration.ofSeconds(Long.parseLong(options.getOrDefault("seconds", "5")));
    int workers = Math.min(count, Integer.parseInt(options.getOrDefault("workers", "16")));
    Path jar = Path.of(options.getOrDefault("jar", "target/dstack-agent.jar"));
    HostDeployer.Settings settings =
        new HostDeployer.Settings(
            jar, ".dstack-agent", 10998, Map.of(), Duration.ofMinutes(3), Duration.ofMinutes(1));

    try (TestHosts hosts = TestHosts.create(count);
        SshPool pool = new SshPool(Duration.ofSeconds(10), Duration.ofSeconds(30))) {
      AgentClient agent = new AgentClient(pool, 10998, Duration.ofSeconds(9));
      HostDeployer deployer = new HostDeployer(pool, agent);
      ExecutorService executor = Executors.newFixedThreadPool(Math.max(workers, 4));
      try {
        long started = System.nanoTime();
        List<Future<?>> deploys = new ArrayList<>();
        for (TestHost host : hosts.hosts()) {
          deploys.add(executor.submit(() -> deployer.deploy(host.target(), List.of(), settings)));
        }
        for (Future<?> deploy : deploys) {
          deploy.get();
        }
        System.out.printf(
            "deployed %d agents in %.1f s (%d SSH sessions)%n",
            count, (System.nanoTime() - started) / 1e9, pool.openSessions());

        check(hosts.hosts(), agent, executor, workers, Duration.ofSeconds(2)); // warm-up
        double[] rates = new double[rounds];
        double[] localCpu = new double[rounds];
        double[] hostCpu = new double[rounds];
        for (int i = 0; i < rounds; i++) {
          long cpuBefore = processCpuNanos();
          long hostsBefore = hostTicks(hosts.hosts());
          long roundStart = System.nanoTime();
          long checks = check(hosts.hosts(), agent, executor, workers, round);
          double seconds = (System.nanoTime() - roundStart) / 1e9;
          rates[i] = checks / seconds;
          localCpu[i] = (processCpuNanos() - cpuBefore) / 1e6 / checks;
          hostCpu[i] = (hostTicks(hosts.hosts()) - hostsBefore) / TICKS_PER_SECOND * 1000 / checks;
          System.out.printf(
              "round %d: %d checks in %.2f s: %.0f checks/s, cpu %.3f ms/check here, %.3f ms/check on the hosts%n",
              i + 1, checks, seconds, rates[i], localCpu[i], hostCpu[i]);
        }
        System.out.printf(
            "hosts=%d workers=%d checks/s=%.0f cpu_ms_per_check=%.3f host_cpu_ms_per_check=%.3f sessions=%d%n",
            count, workers, median(rates), median(localCpu), median(hostCpu), pool.openSessions());
      } finally {
        executor.shutdownNow();
      }
    }
  }

  /** Checks the hosts round-robin with {@code workers} threads, each its own share of hosts. */
  private static long check(
      List<TestHost> hosts,
      AgentClient agent,
      ExecutorService executor,
      int workers,
      Duration length)
      throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong checks = new AtomicLong();
    List<Future<?>> running = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      List<TestHost> share = new ArrayList<>();
      for (int i = w; i < hosts.size(); i += workers) {
        share.add(hosts.get(i));
      }
      running.add(
          executor.submit(
              () -> {
                while (!stop.get()) {
                  for (TestHost host : share) {
                    agent.healthcheck(host.target());
                    checks.incrementAndGet();
                  }
                }
                return null;
              }));
    }
    Thread.sleep(length.toMillis());
    stop.set(true);
    for (Future<?> worker : running) {
      worker.get();
    }
    return checks.get();
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** CPU ticks (user + system) of every process in the hosts' namespaces: sshd and the agents. */
  private static long hostTicks(List<TestHost> hosts) throws Exception {
    long ticks = 0;
    for (TestHost host : hosts) {
      for (String pid : Commands.check("ip", "netns", "pids", host.namespace()).split("\\s+")) {
        if (pid.isBlank()) {
          continue;
        }
        try {
          String stat = Files.readString(Path.of("/proc", pid, "stat"));
          String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        } catch (IOException e) {
          // ended meanwhile
        }
      }
    }
    return ticks;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
