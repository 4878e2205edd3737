package ai.dstack.server.workers;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ScheduledTasksTest {
  @Test
  void aFailingRunIsLoggedAndTheScheduleGoesOnUntilStopped() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    CountDownLatch thirdRun = new CountDownLatch(3);
    ScheduledTask flaky =
        new ScheduledTask() {
          @Override
          public String name() {
            return "flaky";
          }

          @Override
          public Duration period() {
            return Duration.ofMillis(20);
          }

          @Override
          public void run() {
            runs.incrementAndGet();
            thirdRun.countDown();
            throw new IllegalStateException("every run fails");
          }
        };
    ScheduledTasks tasks = new ScheduledTasks();
    tasks.start(Executors.defaultThreadFactory(), List.of(flaky));
    assertTrue(thirdRun.await(5, TimeUnit.SECONDS), "runs after failures: " + runs.get());
    tasks.stop();
    int stoppedAt = runs.get();
    Thread.sleep(100);
    assertTrue(runs.get() <= stoppedAt + 1, "no runs after stop");
  }
}
