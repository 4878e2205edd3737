package ai.dstack.agent.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HttpServerTest {
  private HttpServer server;

  @BeforeEach
  void start() throws Exception {
    server =
        new HttpServer("test")
            .route(
                "POST",
                "/echo/{name}",
                r -> HttpResponse.text(200, r.pathParam("name") + ":" + r.bodyText(1024)))
            .route(
                "GET",
                "/boom",
                r -> {
                  throw new HttpException(409, "busy");
                })
            .start("127.0.0.1", 0);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private String exchange(String request) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(10_000); // a connection the server keeps open fails the test quickly
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void readsFixedLengthAndChunkedBodiesAndPathParameters() throws Exception {
    String fixed =
        exchange(
            "POST /echo/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello");
    assertTrue(fixed.startsWith("HTTP/1.1 200 OK\r\n"), fixed);
    assertTrue(fixed.endsWith("a:hello\n"), fixed);
    String chunked =
        exchange(
            "POST /echo/b HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
    assertTrue(chunked.endsWith("b:abcde\n"), chunked);
  }

  @Test
  void unknownPathsMethodsAndHandlerErrorsGetTheirStatus() throws Exception {
    assertTrue(exchange("GET /nope HTTP/1.0\r\n\r\n").startsWith("HTTP/1.1 404 "));
    assertTrue(exchange("GET /echo/a HTTP/1.0\r\n\r\n").startsWith("HTTP/1.1 405 "));
    String busy = exchange("GET /boom HTTP/1.0\r\n\r\n");
    assertTrue(busy.startsWith("HTTP/1.1 409 ") && busy.endsWith("busy\n"), busy);
    assertTrue(exchange("garbage\r\n\r\n").startsWith("HTTP/1.1 400 "));
    String tooBig =
        exchange("POST /echo/a HTTP/1.0\r\nContent-Length: 2000\r\n\r\n" + "x".repeat(2000));
    assertTrue(tooBig.startsWith("HTTP/1.1 413 "), tooBig);
  }

  @Test
  void oneConnectionServesRequestsUntilTheClientAsksToClose() throws Exception {
    String both =
        exchange(
            "POST /echo/one HTTP/1.1\r\nContent-Length: 1\r\n\r\nx"
                + "POST /echo/two HTTP/1.1\r\nConnection: close\r\nContent-Length: 1\r\n\r\ny");
    assertTrue(both.contains("one:x\n") && both.endsWith("two:y\n"), both);
    assertEquals(2, both.split("HTTP/1.1 200 OK").length - 1);
  }

  @Test
  void webSocketAcceptKeyFollowsRfc6455() {
    assertEquals(
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", HttpServer.websocketAccept("dGhlIHNhbXBsZSBub25jZQ=="));
  }
}
