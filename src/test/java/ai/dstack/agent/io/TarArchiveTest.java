package ai.dstack.agent.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TarArchiveTest {
  @TempDir Path tmp;

  private byte[] tar(String... args) throws Exception {
    Path src = tmp.resolve("src");
    Files.createDirectories(src);
    List<String> command =
        new java.util.ArrayList<>(List.of("tar", "-cf", "-", "-C", src.toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).start();
    byte[] bytes = p.getInputStream().readAllBytes();
    assertEquals(0, p.waitFor());
    return bytes;
  }

  @Test
  void extractsGnuTarWithLongNamesModesAndSymlinksPlainOrGzipped() throws Exception {
    Path src = tmp.resolve("src");
    String longDir = "d".repeat(120) + "/" + "e".repeat(60);
    Files.createDirectories(src.resolve("top").resolve(longDir));
    Files.writeString(src.resolve("top").resolve(longDir).resolve("deep.txt"), "deep");
    Files.writeString(src.resolve("top/run.sh"), "#!/bin/sh\n");
    src.resolve("top/run.sh").toFile().setExecutable(true);
    Files.createSymbolicLink(src.resolve("top/link"), Path.of("run.sh"));
    byte[] archive = tar("top");

    TarArchive.extract(new ByteArrayInputStream(archive), tmp.resolve("plain"), n -> n);
    assertEquals(
        "deep", Files.readString(tmp.resolve("plain/top").resolve(longDir).resolve("deep.txt")));
    assertTrue(Files.isExecutable(tmp.resolve("plain/top/run.sh")));
    assertEquals(Path.of("run.sh"), Files.readSymbolicLink(tmp.resolve("plain/top/link")));

    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(archive);
    }
    TarArchive.extract(
        new ByteArrayInputStream(gz.toByteArray()),
        tmp.resolve("gz"),
        n -> n.replaceFirst("^top", "renamed"));
    assertEquals("#!/bin/sh\n", Files.readString(tmp.resolve("gz/renamed/run.sh")));
  }

  @Test
  void entriesEscapingTheTargetAreRefused() throws Exception {
    Path src = tmp.resolve("src");
    Files.createDirectories(src.resolve("a"));
    Files.writeString(src.resolve("a/x"), "x");
    Files.createSymbolicLink(src.resolve("a/out"), Path.of("../../../etc/passwd"));
    byte[] withEscapingLink = tar("a");
    IOException link =
        assertThrows(
            IOException.class,
            () ->
                TarArchive.extract(
                    new ByteArrayInputStream(withEscapingLink), tmp.resolve("t1"), n -> n));
    assertTrue(link.getMessage().contains("escapes"), link.getMessage());

    byte[] plain = tar("a/x");
    IOException traversal =
        assertThrows(
            IOException.class,
            () ->
                TarArchive.extract(
                    new ByteArrayInputStream(plain), tmp.resolve("t2"), n -> "../../" + n));
    assertTrue(traversal.getMessage().contains("escapes"));
    assertFalse(Files.exists(tmp.resolve("a")));
  }

  @Test
  void garbageIsNotAnArchive() {
    byte[] garbage = "this is not a tar file at all".repeat(40).getBytes(StandardCharsets.UTF_8);
    assertThrows(
        IOException.class,
        () -> TarArchive.extract(new ByteArrayInputStream(garbage), tmp.resolve("g"), n -> n));
  }
}
