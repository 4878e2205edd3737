package ai.dstack.server.workers;

import ai.dstack.server.db.Database;
import ai.dstack.server.settings.DatabaseUrl;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * A replica of the engine in a process of its own, running the probe pipeline against a shared
 * database until it is killed or {@code --until} records exist; used by the multi-replica tests and
 * the benchmark. Arguments: {@code --db URL --name A [--work-ms 100] [--workers 10] [--lease-ms
 * 3000] [--idle-ms 500] [--rows N (insert first)] [--until N]}.
 */
public final class ProbeReplica {
  private ProbeReplica() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    DatabaseUrl url = DatabaseUrl.parse(options.get("db"));
    int workers = Integer.parseInt(options.getOrDefault("workers", "10"));
    PipelineSettings settings =
        new PipelineSettings(
            workers,
            Duration.ofHours(1),
            Duration.ofMillis(Long.parseLong(options.getOrDefault("lease-ms", "3000"))),
            Duration.ofMillis(Long.parseLong(options.getOrDefault("idle-ms", "500"))));
    Duration work = Duration.ofMillis(Long.parseLong(options.getOrDefault("work-ms", "100")));
    try (Database db = Database.open(url, workers + 4)) {
      Probe.createTables(url);
      if (options.containsKey("rows")) {
        Probe.insertRows(db, Integer.parseInt(options.get("rows")));
      }
      long until = Long.parseLong(options.getOrDefault("until", String.valueOf(Long.MAX_VALUE)));
      if (until == 0) {
        return;
      }
      PipelineEngine engine =
          new PipelineEngine(db, Executors.defaultThreadFactory(), options.get("name"), Map.of());
      engine.register(new Probe(db, options.get("name"), settings, work));
      long started = System.nanoTime();
      engine.start();
      System.out.println("started");
      while (Probe.count(db, "1 = 1") < until) {
        Thread.sleep(20);
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      engine.stop();
      System.out.printf(
          "processed %d rows in %.3f s: %.1f rows/s%n", until, seconds, until / seconds);
    }
  }
}
