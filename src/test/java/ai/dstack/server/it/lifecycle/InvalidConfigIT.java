package ai.dstack.server.it.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.it.DstackServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A config.yml the server cannot use stops it with one line naming file, key and problem. */
class InvalidConfigIT {
  private static final String EXPECTED =
      ": encryption.keys[0].secret: AES key must be 32 bytes. Got 16 bytes";

  @TempDir Path home;

  private Path writeBadConfig() throws Exception {
    Path config = home.resolve("server/config.yml");
    Files.createDirectories(config.getParent());
    Files.writeString(
        config,
        "projects: []\nencryption:\n  keys:\n"
            + "  - {type: aes, name: k1, secret: 'AAECAwQFBgcICQoLDA0ODw=='}\n");
    return config;
  }

  @Test
  void theLauncherExitsNonZeroWithTheOneLineReason() throws Exception {
    Path config = writeBadConfig();
    try (DstackServer server = new DstackServer(home).viaLauncher()) {
      server.startProcess();
      assertEquals(1, server.awaitExit());
      String log = server.logText();
      assertTrue(
          log.contains(
              "dstack-server: the server failed to start: Invalid server configuration "
                  + config
                  + EXPECTED),
          log);
      assertFalse(log.contains("\tat "), "no stack trace:\n" + log);
      assertFalse(log.contains("The admin token is"), log);
    }
  }

  @Test
  void plainPayaraMicroKeepsRunningWithAFailingHealthcheck() throws Exception {
    Path config = writeBadConfig();
    try (DstackServer server = new DstackServer(home)) {
      server.startProcess();
      assertEquals(503, server.awaitHealthcheck());
      HttpResponse<String> health =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(server.url() + "/healthcheck")).build(),
                  HttpResponse.BodyHandlers.ofString());
      assertTrue(health.body().contains("\"status\":\"failed\""), health.body());
      assertTrue(health.body().contains(config + EXPECTED), health.body());
      assertFalse(Files.exists(home.resolve("server/data/sqlite.db")), "stopped before the db");
    }
  }
}
