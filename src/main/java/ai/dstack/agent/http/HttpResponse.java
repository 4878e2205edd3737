package ai.dstack.agent.http;

import ai.dstack.agent.json.Json;
import java.nio.charset.StandardCharsets;

/** A complete response: status, content type and body bytes. */
public record HttpResponse(int status, String contentType, byte[] body) {
  public static HttpResponse json(Object value) {
    return new HttpResponse(
        200, "application/json", (Json.write(value) + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /** What upstream's agents send for a handler that returns nothing: 200 with an empty body. */
  public static HttpResponse empty() {
    return new HttpResponse(200, "text/plain; charset=utf-8", new byte[0]);
  }

  public static HttpResponse text(int status, String text) {
    return new HttpResponse(
        status, "text/plain; charset=utf-8", (text + "\n").getBytes(StandardCharsets.UTF_8));
  }
}
