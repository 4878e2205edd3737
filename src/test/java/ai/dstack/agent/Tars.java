package ai.dstack.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Tar archives made by the system's tar, as the CLI's uploads are ordinary tar files. */
final class Tars {
  private Tars() {}

  static byte[] of(Map<String, String> files) throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("tar-src");
    List<String> command = new ArrayList<>(List.of("tar", "-cf", "-", "-C", dir.toString()));
    for (Map.Entry<String, String> file : files.entrySet()) {
      Path path = dir.resolve(file.getKey());
      Files.createDirectories(path.getParent());
      Files.writeString(path, file.getValue());
      command.add(file.getKey().split("/")[0]);
    }
    Process tar = new ProcessBuilder(command.stream().distinct().toList()).start();
    byte[] archive = tar.getInputStream().readAllBytes();
    if (tar.waitFor() != 0) {
      throw new IOException("tar failed");
    }
    return archive;
  }
}
