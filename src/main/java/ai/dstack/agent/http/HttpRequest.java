package ai.dstack.agent.http;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** One parsed request; the body is a stream bounded by its length (or chunk framing). */
public final class HttpRequest {
  private final String method;
  private final String path;
  private final Map<String, String> query;
  private final Map<String, String> headers;
  private final InputStream body;
  private final Map<String, String> pathParams = new LinkedHashMap<>();

  HttpRequest(String method, String target, Map<String, String> headers, InputStream body) {
    this.method = method;
    int q = target.indexOf('?');
    this.path = q < 0 ? target : target.substring(0, q);
    this.query = q < 0 ? Map.of() : parseQuery(target.substring(q + 1));
    this.headers = headers;
    this.body = body;
  }

  public String method() {
    return method;
  }

  public String path() {
    return path;
  }

  public String query(String name) {
    return query.get(name);
  }

  /** Header value by case-insensitive name, or null. */
  public String header(String name) {
    return headers.get(name.toLowerCase(Locale.ROOT));
  }

  public String pathParam(String name) {
    return pathParams.get(name);
  }

  void pathParams(Map<String, String> params) {
    pathParams.putAll(params);
  }

  public InputStream body() {
    return body;
  }

  /** The whole body, refused beyond {@code limit} bytes. */
  public byte[] bodyBytes(int limit) throws IOException {
    byte[] bytes = body.readNBytes(limit + 1);
    if (bytes.length > limit) {
      throw new HttpException(413, "request body is larger than " + limit + " bytes");
    }
    return bytes;
  }

  public String bodyText(int limit) throws IOException {
    return new String(bodyBytes(limit), StandardCharsets.UTF_8);
  }

  private static Map<String, String> parseQuery(String query) {
    Map<String, String> result = new LinkedHashMap<>();
    for (String pair : query.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair : pair.substring(0, eq);
      String value = eq < 0 ? "" : pair.substring(eq + 1);
      result.put(
          URLDecoder.decode(key, StandardCharsets.UTF_8),
          URLDecoder.decode(value, StandardCharsets.UTF_8));
    }
    return result;
  }
}
