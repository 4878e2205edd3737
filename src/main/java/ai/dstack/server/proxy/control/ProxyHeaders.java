package ai.dstack.server.proxy.control;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which headers cross the proxy. Upstream passes every request header on as the client sent it
 * (Host and Authorization included, no X-Forwarded-*) and every response header except the two its
 * own HTTP server sets (Server, Date). Hop-by-hop headers (RFC 9110 §7.6.1) and framing stay on
 * their own connection: this proxy frames both sides itself.
 */
public final class ProxyHeaders {
  public record Header(String name, String value) {}

  private static final Set<String> HOP_BY_HOP =
      Set.of(
          "connection",
          "keep-alive",
          "proxy-connection",
          "proxy-authenticate",
          "proxy-authorization",
          "te",
          "trailer",
          "transfer-encoding",
          "upgrade",
          "content-length");

  /** The container answers Expect: 100-continue itself once the body is read. */
  private static final Set<String> REQUEST_ONLY = Set.of("expect");

  private static final Set<String> RESPONSE_ONLY = Set.of("server", "date");

  private ProxyHeaders() {}

  public static List<Header> request(List<Header> headers) {
    return filter(headers, REQUEST_ONLY);
  }

  public static List<Header> response(List<Header> headers) {
    return filter(headers, RESPONSE_ONLY);
  }

  private static List<Header> filter(List<Header> headers, Set<String> alsoDropped) {
    Set<String> dropped = new HashSet<>(HOP_BY_HOP);
    dropped.addAll(alsoDropped);
    for (Header header : headers) {
      if (header.name().equalsIgnoreCase("connection")) {
        for (String token : header.value().split(",")) {
          dropped.add(token.strip().toLowerCase(Locale.ROOT));
        }
      }
    }
    List<Header> kept = new ArrayList<>();
    for (Header header : headers) {
      if (!dropped.contains(header.name().toLowerCase(Locale.ROOT))) {
        kept.add(header);
      }
    }
    return kept;
  }

  /** The first value of a header, or null. */
  public static String first(List<Header> headers, String name) {
    for (Header header : headers) {
      if (header.name().equalsIgnoreCase(name)) {
        return header.value();
      }
    }
    return null;
  }
}
