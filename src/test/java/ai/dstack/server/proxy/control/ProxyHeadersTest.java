package ai.dstack.server.proxy.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.dstack.server.proxy.control.ProxyHeaders.Header;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProxyHeadersTest {
  private static List<String> names(List<Header> headers) {
    return headers.stream().map(Header::name).toList();
  }

  @Test
  void requestHeadersPassExceptHopByHopFramingAndExpect() {
    List<Header> kept =
        ProxyHeaders.request(
            List.of(
                new Header("Host", "localhost:3000"),
                new Header("Authorization", "Bearer t"),
                new Header("Content-Type", "application/json"),
                new Header("Content-Length", "12"),
                new Header("Transfer-Encoding", "chunked"),
                new Header("Connection", "keep-alive, X-Private"),
                new Header("X-Private", "1"),
                new Header("Keep-Alive", "timeout=5"),
                new Header("TE", "trailers"),
                new Header("Upgrade", "h2c"),
                new Header("Expect", "100-continue"),
                new Header("Cookie", "a=b"),
                new Header("X-Custom", "v")));
    assertEquals(
        List.of("Host", "Authorization", "Content-Type", "Cookie", "X-Custom"), names(kept));
  }

  @Test
  void responseHeadersDropServerAndDateAsUpstreamDoes() {
    List<Header> kept =
        ProxyHeaders.response(
            List.of(
                new Header("server", "SimpleHTTP/0.6"),
                new Header("date", "Mon, 01 Jan 2024 00:00:00 GMT"),
                new Header("content-type", "text/html"),
                new Header("transfer-encoding", "chunked"),
                new Header("set-cookie", "a=1"),
                new Header("set-cookie", "b=2")));
    assertEquals(List.of("content-type", "set-cookie", "set-cookie"), names(kept));
  }

  @Test
  void firstFindsAHeaderInAnyCase() {
    assertEquals("x", ProxyHeaders.first(List.of(new Header("CONTENT-TYPE", "x")), "content-type"));
  }
}
