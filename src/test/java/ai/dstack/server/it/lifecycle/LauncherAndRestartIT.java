package ai.dstack.server.it.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.it.Api;
import ai.dstack.server.it.DstackServer;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.io.StringReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher users start, and what survives a restart. */
class LauncherAndRestartIT {
  @TempDir Path home;

  @Test
  void launcherPrintsTokenThenUrlBindsLoopbackAndStateSurvivesARestart() throws Exception {
    String userName = Api.uniqueName("restart");
    String projectName = Api.uniqueName("restart");
    String firstToken;
    String userToken;
    try (DstackServer first =
        new DstackServer(home).viaLauncher().env("DSTACK_SERVER_ADMIN_TOKEN", "first-token")) {
      first.start();
      String log = first.logText();
      int tokenLine = log.indexOf("The admin token is first-token");
      int urlLine = log.indexOf("The dstack server 0.20.29 is running at " + first.url());
      assertTrue(tokenLine >= 0 && urlLine > tokenLine, "token line, then URL line:\n" + log);
      assertTrue(Files.exists(first.stateDir().resolve("data/sqlite.db")));
      assertTrue(log.contains("Initialized the default configuration at ~/server/config.yml"), log);
      assertTrue(log.contains("Background processing started"), log);
      assertEquals(
          "projects:\n- name: main\n  backends: []\nencryption:\n  keys: []\n",
          Files.readString(first.stateDir().resolve("config.yml")));
      assertTrue(
          Files.readString(home.resolve(".dstack/config.yml")).contains("token: first-token"),
          "the local CLI config points at this server");
      assertListensOnLoopbackOnly(URI.create(first.url()).getPort());

      Api api = new Api(first.url(), first.adminToken());
      firstToken = first.adminToken();
      userToken = api.createUser(userName, "user");
      assertEquals(200, api.createProject(userToken, projectName).status());
      assertEquals(143, first.stop(), "SIGTERM ends the launcher and the server");
    }

    try (DstackServer second =
        new DstackServer(home)
            .viaLauncher()
            .env("DSTACK_SERVER_ADMIN_TOKEN", "ignored-later")
            .env("DSTACK_SERVER_LOG_FORMAT", "json")
            .env("DSTACK_SERVER_CONFIG_DISABLED", "1")
            .env("DSTACK_SERVER_BACKGROUND_PROCESSING_DISABLED", "")) {
      // ignored entirely: the server starts although the file is not even YAML
      Files.writeString(home.resolve("server/config.yml"), "not: [valid");
      second.start();
      assertEquals(firstToken, second.adminToken(), "the admin token is set only on creation");
      assertTrue(second.logText().contains("Background processing is disabled"));
      assertFalse(second.logText().contains("Background processing started"), "API-only replica");
      List<JsonObject> serverLines =
          second
              .logText()
              .lines()
              .filter(line -> line.startsWith("{"))
              .map(line -> Json.createReader(new StringReader(line)).readObject())
              .toList();
      assertTrue(
          serverLines.stream()
              .anyMatch(
                  o ->
                      o.getString("message").equals("The admin token is " + firstToken)
                          && o.getString("level").equals("INFO")
                          && o.getString("logger").equals("dstack.Bootstrap")),
          "JSON log format, one object per line:\n" + second.logText());
      Api api = new Api(second.url(), second.adminToken());
      var project = api.post("/api/projects/" + projectName + "/get", userToken, null);
      assertEquals(200, project.status(), project.text());
      assertEquals(userName, project.object().getJsonObject("owner").getString("username"));
      var users = api.post("/api/users/list", "{\"return_total_count\":true}");
      assertEquals(2, users.object().getInt("total_count"));
    }
  }

  private static void assertListensOnLoopbackOnly(int port) throws IOException {
    try (Socket loopback = new Socket()) {
      loopback.connect(new InetSocketAddress("127.0.0.1", port), 2000);
    }
    Optional<InetAddress> external =
        Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
            .flatMap(i -> Collections.list(i.getInetAddresses()).stream())
            .filter(a -> !a.isLoopbackAddress() && !a.isLinkLocalAddress())
            .findFirst();
    if (external.isPresent()) {
      assertThrows(
          IOException.class,
          () -> {
            try (Socket socket = new Socket()) {
              socket.connect(new InetSocketAddress(external.get(), port), 2000);
            }
          },
          "not reachable on " + external.get());
    }
  }
}
