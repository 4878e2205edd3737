package ai.dstack.agent.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommandRunnerTest {
  private final CommandRunner runner = CommandRunner.system();

  @Test
  void capturesBothOutputsAndTheExitCode() throws IOException {
    CommandRunner.Result result =
        runner.run(List.of("sh", "-c", "echo out; echo err >&2; exit 3"), Duration.ofSeconds(10));
    assertEquals(new CommandRunner.Result(3, "out\n", "err\n"), result);
    assertFalse(result.ok());
  }

  @Test
  void aCommandPastItsTimeoutIsKilled() {
    long start = System.nanoTime();
    IOException e =
        assertThrows(
            IOException.class, () -> runner.run(List.of("sleep", "30"), Duration.ofMillis(200)));
    assertTrue(e.getMessage().contains("did not finish"), e.getMessage());
    assertTrue(System.nanoTime() - start < 5_000_000_000L);
  }

  @Test
  void aMissingProgramIsAnIoError() {
    assertThrows(
        IOException.class,
        () -> runner.run(List.of("no-such-program-for-dstack"), Duration.ofSeconds(5)));
  }
}
