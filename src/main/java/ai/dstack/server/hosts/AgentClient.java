package ai.dstack.server.hosts;

import ai.dstack.server.config.schema.PlainTree;
import jakarta.json.Json;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonReaderFactory;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The host agent's shim API (SERVER.md §7.3), reached over a port forward of the host's pooled SSH
 * session: nothing of the agent listens beyond the host's loopback.
 */
public final class AgentClient {
  /** Made once: {@code Json.createReader} looks its provider up on every call. */
  static final JsonReaderFactory JSON = Json.createReaderFactory(Map.of());

  private static final String JSON_TYPE = "application/json";

  private final SshPool pool;
  private final int agentPort;
  private final Duration requestTimeout;
  private final HttpClient http;

  public AgentClient(SshPool pool, int agentPort, Duration requestTimeout) {
    this.pool = pool;
    this.agentPort = agentPort;
    this.requestTimeout = requestTimeout;
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(requestTimeout)
            .build();
  }

  /** The port the host agents' shim API listens on. */
  public int agentPort() {
    return agentPort;
  }

  /** {@code GET /api/healthcheck}: {@code {service, version}} of a dstack agent (or shim). */
  public Map<String, Object> healthcheck(HostTarget target) throws HostException {
    String body = get(target, "/api/healthcheck");
    Map<String, Object> answer;
    try (JsonReader reader = JSON.createReader(new StringReader(body))) {
      JsonObject object = reader.readObject();
      @SuppressWarnings("unchecked")
      Map<String, Object> map = (Map<String, Object>) PlainTree.fromJson(object);
      answer = map;
    } catch (JsonException | IllegalStateException | ClassCastException e) {
      throw new HostException(
          "Port "
              + agentPort
              + " on "
              + target.hostname()
              + " answered the healthcheck without JSON");
    }
    if (!"dstack-shim".equals(answer.get("service"))) {
      throw new HostException(
          "Port "
              + agentPort
              + " on "
              + target.hostname()
              + " is not a dstack agent (service "
              + answer.get("service")
              + ")");
    }
    return answer;
  }

  /** The body of a 200 answer to {@code GET path}. */
  public String get(HostTarget target, String path) throws HostException {
    return send(target, agentPort, "GET", path, null, null);
  }

  /** The body of a 200 answer to {@code POST path} with a JSON body. */
  public String post(HostTarget target, String path, String jsonBody) throws HostException {
    return send(
        target, agentPort, "POST", path, jsonBody.getBytes(StandardCharsets.UTF_8), JSON_TYPE);
  }

  /**
   * A request to another port of the host's loopback (a job's runner API): the body of a 200
   * answer; {@code body} null makes a GET.
   */
  public String send(
      HostTarget target, int port, String method, String path, byte[] body, String contentType)
      throws HostException {
    return send(target, port, method, path, body, contentType, requestTimeout);
  }

  /**
   * One request, retried once when the connection itself fails: then the session is checked and, if
   * dead, opened again (its forward too). A retried POST may reach the agent twice if the
   * connection broke after the agent read it; the agent answers a repeated submit with 409.
   */
  public String send(
      HostTarget target,
      int remotePort,
      String method,
      String path,
      byte[] body,
      String contentType,
      Duration timeout)
      throws HostException {
    return send(
        target,
        remotePort,
        method,
        path,
        body,
        body == null ? List.of() : List.of(Map.entry("Content-Type", contentType)),
        timeout);
  }

  /** As above, with the request's own headers (a service probe's). */
  public String send(
      HostTarget target,
      int remotePort,
      String method,
      String path,
      byte[] body,
      List<Map.Entry<String, String>> headers,
      Duration timeout)
      throws HostException {
    for (int attempt = 1; ; attempt++) {
      int port = pool.forward(target, remotePort);
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(timeout);
      for (Map.Entry<String, String> header : headers) {
        request.header(header.getKey(), header.getValue());
      }
      request.method(
          method,
          body == null
              ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofByteArray(body));
      HttpResponse<String> response;
      try {
        response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      } catch (HttpTimeoutException e) {
        throw new HostException(
            "The agent on "
                + target.hostname()
                + " did not answer "
                + method
                + " "
                + path
                + " within "
                + timeout.toSeconds()
                + " s",
            e);
      } catch (IOException e) {
        if (attempt == 1) {
          if (!pool.responsive(target)) {
            pool.invalidate(target);
          }
          continue;
        }
        throw new HostException(
            "The agent on "
                + target.hostname()
                + " is not reachable on port "
                + remotePort
                + ": "
                + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()),
            e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new HostException("Interrupted while calling the agent on " + target.hostname());
      }
      if (response.statusCode() != 200) {
        throw new HostException(
            "The agent on "
                + target.hostname()
                + " answered "
                + response.statusCode()
                + " to "
                + method
                + " "
                + path
                + ": "
                + response.body(),
            null,
            response.statusCode());
      }
      return response.body();
    }
  }
}
