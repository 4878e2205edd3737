package ai.dstack.server.it.lifecycle;

import static ai.dstack.server.it.Expect.body;
import static ai.dstack.server.it.Expect.ok;
import static ai.dstack.server.it.Expect.okNull;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.it.Api;
import ai.dstack.server.it.Expect;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The in-server service proxy against a real service: a {@code type: service} run on a loopback SSH
 * host whose replica serves HTTP on port 8000; requests reach it through the server's pooled SSH
 * session to the host.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServiceProxyIT {
  private static final String RUN = Api.uniqueName("svc");
  private static final String ROOT = "/proxy/services/main/" + RUN + "/";

  /** Python's directory listing for GET, and an echo of what a POST brought. */
  private static final String REPLICA =
      """
      import http.server, json

      class Handler(http.server.SimpleHTTPRequestHandler):
          def do_POST(self):
              length = int(self.headers.get("Content-Length") or 0)
              body = self.rfile.read(length).decode()
              out = json.dumps({"path": self.path, "body": body,
                                "authorization": self.headers.get("Authorization"),
                                "custom": self.headers.get("X-Custom")}).encode()
              self.send_response(200)
              self.send_header("Content-Type", "application/json")
              self.send_header("Content-Length", str(len(out)))
              self.end_headers()
              self.wfile.write(out)

      http.server.ThreadingHTTPServer(("127.0.0.1", 8000), Handler).serve_forever()
      """;

  private static LoopbackFleet fleet;
  private static Api api;

  @BeforeAll
  static void start() throws Exception {
    fleet = LoopbackFleet.builder("proxy").start();
    api = fleet.api();
    fleet.applyRun(serviceSpec());
    fleet.awaitRun(
        RUN,
        r -> {
          if (LoopbackFleet.finished().test(r)) {
            throw new AssertionError("the service run finished: " + r);
          }
          return r.getString("status").equals("running");
        },
        "the service running");
    // the replica's job is running before its Python server listens
    fleet.await(
        () ->
            Json.createObjectBuilder().add("status", get(ROOT, api.adminToken()).status()).build(),
        r -> r.getInt("status") == 200,
        "the replica answering through the proxy");
  }

  @AfterAll
  static void stop() throws Exception {
    if (fleet != null) {
      fleet.close();
    }
  }

  @Test
  @Order(1)
  void aProjectMembersRequestReachesTheReplica() {
    Api.Reply reply = get(ROOT, api.adminToken());
    assertEquals(200, reply.status(), reply.text());
    assertTrue(reply.text().contains("Directory listing for /"), reply.text());
    assertTrue(reply.header("Content-Type").startsWith("text/html"), reply.headers().toString());
  }

  @Test
  @Order(2)
  void aPostCarriesItsPathQueryHeadersAndBody() {
    String payload = "{\"prompt\":\"" + "x".repeat(100_000) + "\"}";
    Api.Reply reply =
        api.send(
            "POST",
            ROOT + "v1/chat?stream=true",
            api.adminToken(),
            payload,
            Map.of("X-Custom", "kept"));
    assertEquals(200, reply.status(), reply.text());
    JsonObject echo = reply.object();
    assertEquals("/v1/chat?stream=true", echo.getString("path"));
    assertEquals(payload, echo.getString("body"));
    assertEquals("kept", echo.getString("custom"));
    // as upstream: the caller's Authorization header goes on to the replica
    assertEquals("Bearer " + api.adminToken(), echo.getString("authorization"));
  }

  @Test
  @Order(3)
  void theRunWithoutTrailingSlashRedirectsToTheServiceRoot() {
    Api.Reply reply = get("/proxy/services/main/" + RUN + "?a=1", null);
    assertEquals(308, reply.status());
    assertEquals(api.baseUrl() + ROOT + "?a=1", reply.header("Location"));
  }

  @Test
  @Order(4)
  void callersWithoutAMembersTokenAreRefused() {
    String forbidden = "{\"detail\":\"Unauthenticated or unauthorized to access project main\"}";
    Api.Reply none = get(ROOT, null);
    assertEquals(403, none.status());
    assertEquals(forbidden, none.text());
    assertEquals(403, get(ROOT, "not-a-token").status());
    String outsider = api.createUser(Api.uniqueName("outsider"), "user");
    Api.Reply stranger = get(ROOT, outsider);
    assertEquals(403, stranger.status());
    assertEquals(forbidden, stranger.text());
    String username = Api.uniqueName("member");
    String member = api.createUser(username, "user");
    ok(
        api.post(
            "/api/projects/main/add_members",
            body("members", List.of(Expect.member(username, "user")))));
    assertEquals(200, get(ROOT, member).status());
  }

  @Test
  @Order(5)
  void unknownRunsAndUpgradesAreRefusedAsUpstream() throws IOException {
    Api.Reply unknown = get("/proxy/services/main/no-such-service/", api.adminToken());
    assertEquals(404, unknown.status());
    assertEquals("{\"detail\":\"Service main/no-such-service not found\"}", unknown.text());
    assertEquals(404, get("/proxy/services/main/no-such-service/", null).status());
    Api.Reply noRoute = get("/proxy/services/main", api.adminToken());
    assertEquals(404, noRoute.status());
    assertEquals("{\"detail\":\"Not Found\"}", noRoute.text());
    // Java's HTTP client refuses to send Upgrade itself
    String upgrade =
        raw(
            "GET "
                + ROOT
                + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + api.adminToken()
                + "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    assertTrue(upgrade.startsWith("HTTP/1.1 400"), upgrade);
    assertTrue(
        upgrade.endsWith("{\"detail\":\"Upgrading connections is not supported\"}"), upgrade);
  }

  /** One request as bytes on its own connection; the whole answer as text. */
  private static String raw(String request) throws IOException {
    URI base = URI.create(api.baseUrl());
    try (Socket socket = new Socket(base.getHost(), base.getPort())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      socket.shutdownOutput();
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  @Order(6)
  void aStoppedServiceIsNotFound() throws InterruptedException {
    okNull(
        api.post("/api/project/main/runs/stop", body("runs_names", List.of(RUN), "abort", true)));
    fleet.await(
        () ->
            Json.createObjectBuilder().add("status", get(ROOT, api.adminToken()).status()).build(),
        r -> r.getInt("status") == 404,
        "the stopped service not found");
  }

  private static Api.Reply get(String path, String token) {
    return api.send("GET", path, token, null, Map.of());
  }

  /** The CLI's recorded run spec around a service configuration with one replica. */
  private static JsonObject serviceSpec() {
    JsonObject recorded = LoopbackFleet.recordedRunSpec();
    String script = Base64.getEncoder().encodeToString(REPLICA.getBytes(StandardCharsets.UTF_8));
    JsonObjectBuilder configuration =
        Json.createObjectBuilder()
            .add("type", "service")
            .add("name", RUN)
            .add("port", 8000)
            .add("replicas", 1)
            .add(
                "commands",
                Json.createArrayBuilder()
                    .add("echo " + script + " | base64 -d > replica.py")
                    .add("python3 replica.py"))
            .add("resources", LoopbackFleet.resourcesEveryHostHas());
    return Json.createObjectBuilder(recorded)
        .add("run_name", RUN)
        .add("configuration", configuration)
        .build();
  }
}
