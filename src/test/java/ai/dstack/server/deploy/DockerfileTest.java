package ai.dstack.server.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What can be checked of {@code docker/Dockerfile} without a Docker engine. */
class DockerfileTest {
  private static List<String> instructions() throws IOException {
    // continuation lines joined, comments dropped
    String text = Files.readString(Path.of("docker/Dockerfile")).replace("\\\n", " ");
    return text.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
  }

  @Test
  void everyFileCopiedFromTheBuildContextIsInTheRepository() throws IOException {
    List<String> copies =
        instructions().stream()
            .filter(l -> l.startsWith("COPY ") && !l.contains("--from="))
            .toList();
    assertTrue(copies.size() >= 5, copies.toString());
    for (String copy : copies) {
      List<String> words = Arrays.asList(copy.split("\\s+"));
      for (String source : words.subList(1, words.size() - 1)) {
        assertTrue(Files.exists(Path.of(source)), copy + ": " + source + " is missing");
      }
    }
  }

  @Test
  void theImageRunsTheTestedEntrypointUnderTiniOnPort3000WithStateOnTheVolume() throws IOException {
    List<String> lines = instructions();
    assertTrue(lines.contains("COPY docker/entrypoint.sh entrypoint.sh"), lines.toString());
    assertTrue(lines.contains("WORKDIR /opt/dstack"));
    assertEquals(
        "ENTRYPOINT [\"/usr/bin/tini\", \"--\", \"/opt/dstack/entrypoint.sh\"]",
        lines.stream().filter(l -> l.startsWith("ENTRYPOINT")).findFirst().orElseThrow());
    assertTrue(lines.contains("EXPOSE 3000"));
    assertTrue(lines.contains("VOLUME /root/.dstack/server"));
    assertTrue(lines.stream().anyMatch(l -> l.contains("DSTACK_SERVER_HOST=0.0.0.0")));
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("ARG LITESTREAM_VERSION=0.5.9")));
    assertTrue(Files.isExecutable(Path.of("docker/entrypoint.sh")));
  }
}
