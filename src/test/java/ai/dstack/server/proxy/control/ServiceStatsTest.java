package ai.dstack.server.proxy.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ServiceStatsTest {
  private final AtomicLong millis = new AtomicLong(1_700_000_000_000L);
  private final ServiceStats stats =
      new ServiceStats(
          new Clock() {
            @Override
            public ZoneOffset getZone() {
              return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
              return this;
            }

            @Override
            public Instant instant() {
              return Instant.ofEpochMilli(millis.get());
            }
          });

  private void advance(Duration by) {
    millis.addAndGet(by.toMillis());
  }

  @Test
  void requestsPerSecondOverTheWindow() {
    for (int second = 0; second < 10; second++) {
      for (int i = 0; i < 3; i++) {
        stats.record("run");
      }
      advance(Duration.ofSeconds(1));
    }
    advance(Duration.ofMillis(-1)); // still in the tenth second
    assertEquals(3.0, stats.rps("run", Duration.ofSeconds(10)), 1e-9);
    assertEquals(1.5, stats.rps("run", Duration.ofSeconds(20)), 1e-9);
    assertEquals(0.0, stats.rps("other", Duration.ofSeconds(10)), 1e-9);
  }

  @Test
  void oldRequestsLeaveTheWindowAndTheRingIsReused() {
    stats.record("run");
    advance(ServiceStats.HORIZON);
    assertEquals(0.0, stats.rps("run", ServiceStats.HORIZON), 1e-9);
    stats.record("run"); // the same slot of the ring, five minutes later
    stats.record("run");
    assertEquals(2.0 / 60, stats.rps("run", Duration.ofMinutes(1)), 1e-9);
    assertEquals(2.0 / 300, stats.rps("run", Duration.ofHours(1)), 1e-9);
  }

  @Test
  void quietRunsAreDropped() {
    stats.record("quiet");
    advance(ServiceStats.HORIZON.plusMinutes(1));
    stats.record("busy");
    assertEquals(1, stats.runs());
    stats.forget("busy");
    assertEquals(0, stats.runs());
  }

  @Test
  void concurrentRecordsAreAllCounted() throws InterruptedException {
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      Thread thread =
          new Thread(
              () -> {
                for (int i = 0; i < 10_000; i++) {
                  stats.record("run");
                }
              });
      thread.start();
      threads.add(thread);
    }
    for (Thread thread : threads) {
      thread.join();
    }
    assertEquals(80_000.0, stats.rps("run", Duration.ofSeconds(1)), 1e-9);
  }
}
