package ai.dstack.server.proxy.control;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.proxy.control.ProxyHeaders.Header;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP/1.1 exchange against a local server standing in for a replica. */
class ReplicaExchangeTest {
  private HttpServer replica;
  private final ReplicaExchange exchange = new ReplicaExchange(Duration.ofSeconds(5));

  /** What the proxy would answer with. */
  private static final class Answer implements ReplicaExchange.Sink {
    int status;
    List<Header> headers;
    final ByteArrayOutputStream body = new ByteArrayOutputStream();

    @Override
    public OutputStream head(int status, List<Header> headers) {
      this.status = status;
      this.headers = headers;
      return body;
    }

    String text() {
      return body.toString(StandardCharsets.UTF_8);
    }
  }

  @BeforeEach
  void start() throws IOException {
    replica = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    replica.createContext(
        "/echo",
        ex -> {
          byte[] body = ex.getRequestBody().readAllBytes();
          String text =
              ex.getRequestMethod()
                  + " "
                  + ex.getRequestURI()
                  + " host="
                  + ex.getRequestHeaders().getFirst("Host")
                  + " auth="
                  + ex.getRequestHeaders().getFirst("Authorization")
                  + " x="
                  + ex.getRequestHeaders().getFirst("X-Custom")
                  + " length="
                  + body.length
                  + " sha="
                  + sha(body);
          byte[] out = text.getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("X-Reply", "yes");
          ex.sendResponseHeaders(201, out.length);
          ex.getResponseBody().write(out);
          ex.close();
        });
    replica.createContext(
        "/chunked",
        ex -> {
          ex.sendResponseHeaders(200, 0); // chunked
          for (int i = 0; i < 100; i++) {
            ex.getResponseBody().write(("line " + i + "\n").getBytes(StandardCharsets.UTF_8));
            ex.getResponseBody().flush();
          }
          ex.close();
        });
    replica.createContext(
        "/empty",
        ex -> {
          ex.sendResponseHeaders(204, -1);
          ex.close();
        });
    replica.start();
  }

  @AfterEach
  void stop() {
    replica.stop(0);
  }

  private int port() {
    return replica.getAddress().getPort();
  }

  private static String sha(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static ReplicaExchange.Request request(
      String method, String target, List<Header> headers, RequestBody body) {
    return new ReplicaExchange.Request(method, target, headers, body);
  }

  @Test
  void methodTargetHeadersAndStatusPassThrough() throws Exception {
    Answer answer = new Answer();
    exchange.send(
        port(),
        request(
            "GET",
            "/echo/a%20b?x=1&y=2",
            List.of(
                new Header("Host", "dstack.example:3000"),
                new Header("Authorization", "Bearer token"),
                new Header("X-Custom", "v")),
            RequestBody.empty()),
        answer);
    assertEquals(201, answer.status);
    assertEquals(
        "GET /echo/a%20b?x=1&y=2 host=dstack.example:3000 auth=Bearer token x=v length=0 sha="
            + sha(new byte[0]),
        answer.text());
    assertEquals("yes", ProxyHeaders.first(answer.headers, "X-Reply"));
    assertEquals(
        Integer.toString(answer.body.size()), ProxyHeaders.first(answer.headers, "Content-Length"));
    assertNull(ProxyHeaders.first(answer.headers, "Date"));
  }

  @Test
  void largeBodiesAreStreamedWithTheirLengthOrChunked() throws Exception {
    byte[] body = new byte[3 * 1024 * 1024 + 17];
    new Random(7).nextBytes(body);
    for (long length : new long[] {body.length, -1}) {
      Answer answer = new Answer();
      RequestBody requestBody = new RequestBody(new ByteArrayInputStream(body), length);
      exchange.send(port(), request("POST", "/echo", List.of(), requestBody), answer);
      assertEquals(201, answer.status);
      assertTrue(answer.text().endsWith("length=" + body.length + " sha=" + sha(body)));
      assertFalse(requestBody.replayable());
    }
  }

  @Test
  void aChunkedAnswerIsTakenApart() throws Exception {
    Answer answer = new Answer();
    exchange.send(port(), request("GET", "/chunked", List.of(), RequestBody.empty()), answer);
    assertEquals(200, answer.status);
    assertNull(ProxyHeaders.first(answer.headers, "Transfer-Encoding"));
    assertNull(ProxyHeaders.first(answer.headers, "Content-Length"));
    StringBuilder expected = new StringBuilder();
    for (int i = 0; i < 100; i++) {
      expected.append("line ").append(i).append('\n');
    }
    assertEquals(expected.toString(), answer.text());
  }

  @Test
  void headAndNoContentAnswersHaveNoBody() throws Exception {
    Answer head = new Answer();
    exchange.send(port(), request("HEAD", "/echo", List.of(), RequestBody.empty()), head);
    assertEquals(0, head.body.size());
    Answer empty = new Answer();
    exchange.send(port(), request("DELETE", "/empty", List.of(), RequestBody.empty()), empty);
    assertEquals(204, empty.status);
    assertEquals(0, empty.body.size());
  }

  @Test
  void aClosedPortIsUnreachable() throws Exception {
    int closed;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = socket.getLocalPort();
    }
    assertThrows(
        ReplicaExchange.Unreachable.class,
        () ->
            exchange.send(
                closed, request("GET", "/", List.of(), RequestBody.empty()), new Answer()));
  }

  /** What an SSH forward does when the host cannot connect to the port: accept, then close. */
  @Test
  void aConnectionClosedBeforeAnyAnswerIsUnreachableAndTheBodyCanBeSentAgain() throws Exception {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread closer =
          new Thread(
              () -> {
                try (Socket accepted = socket.accept()) {
                  accepted.getInputStream().read();
                } catch (IOException ignored) {
                  // the test sees the result on its side
                }
              });
      closer.start();
      byte[] bytes = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);
      RequestBody body = new RequestBody(new ByteArrayInputStream(bytes), bytes.length);
      assertThrows(
          ReplicaExchange.Unreachable.class,
          () ->
              exchange.send(
                  socket.getLocalPort(), request("POST", "/echo", List.of(), body), new Answer()));
      closer.join();
      assertTrue(body.replayable());
      Answer answer = new Answer();
      exchange.send(port(), request("POST", "/echo", List.of(), body), answer);
      assertTrue(answer.text().endsWith("length=" + bytes.length + " sha=" + sha(bytes)));
    }
  }

  @Test
  void aReplicaThatDoesNotAnswerInTimeIsAGatewayTimeout() throws Exception {
    ReplicaExchange quick = new ReplicaExchange(Duration.ofMillis(300));
    List<Socket> held = new ArrayList<>();
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread holder =
          new Thread(
              () -> {
                try {
                  held.add(socket.accept());
                } catch (IOException ignored) {
                  // closed at the end of the test
                }
              });
      holder.start();
      ProxyException timeout =
          assertThrows(
              ProxyException.class,
              () ->
                  quick.send(
                      socket.getLocalPort(),
                      request("GET", "/", List.of(), RequestBody.empty()),
                      new Answer()));
      assertEquals(504, timeout.status());
      assertEquals("Timed out requesting upstream", timeout.getMessage());
      holder.join();
    } finally {
      for (Socket socket : held) {
        socket.close();
      }
    }
  }

  @Test
  void aBodyReadTwiceGivesTheSameBytes() throws IOException {
    byte[] bytes = new byte[1000];
    new Random(1).nextBytes(bytes);
    RequestBody body = new RequestBody(new ByteArrayInputStream(bytes), bytes.length);
    InputStream first = body.open();
    byte[] part = first.readNBytes(300);
    assertArrayEquals(java.util.Arrays.copyOf(bytes, 300), part);
    assertArrayEquals(bytes, body.open().readAllBytes());
    assertTrue(body.replayable());
  }
}
