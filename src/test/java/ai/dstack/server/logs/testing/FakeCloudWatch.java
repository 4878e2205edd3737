package ai.dstack.server.logs.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A local endpoint speaking the CloudWatch Logs JSON protocol (POST, {@code X-Amz-Target:
 * Logs_20140328.<Action>}) for one log group, keeping streams in memory and every call made.
 */
public final class FakeCloudWatch implements AutoCloseable {
  private static final JsonObject NO_SUCH_STREAM =
      error("ResourceNotFoundException", "The specified log stream does not exist.");

  public record Call(String action, JsonObject body) {}

  public record Stored(long timestamp, String message) {}

  private final HttpServer server;
  private final String group;
  public final List<Call> calls = new CopyOnWriteArrayList<>();
  public final Map<String, List<Stored>> streams = new LinkedHashMap<>();

  public FakeCloudWatch(String group) throws IOException {
    this.group = group;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  public List<Call> calls(String action) {
    return calls.stream().filter(c -> c.action().equals(action)).toList();
  }

  public synchronized List<String> streamNames() {
    return List.copyOf(streams.keySet());
  }

  private synchronized void handle(HttpExchange exchange) throws IOException {
    String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
    String action = target.substring(target.indexOf('.') + 1);
    JsonObject body =
        Json.createReader(
                new StringReader(
                    new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)))
            .readObject();
    calls.add(new Call(action, body));
    if (!body.getString("logGroupName").equals(group)) {
      reply(
          exchange,
          400,
          error("ResourceNotFoundException", "The specified log group does not exist."));
      return;
    }
    switch (action) {
      case "DescribeLogStreams" -> {
        String prefix = body.getString("logStreamNamePrefix", "");
        JsonArrayBuilder found = Json.createArrayBuilder();
        streams.keySet().stream()
            .filter(n -> n.startsWith(prefix))
            .forEach(n -> found.add(Json.createObjectBuilder().add("logStreamName", n)));
        reply(exchange, 200, Json.createObjectBuilder().add("logStreams", found).build());
      }
      case "CreateLogStream" -> {
        if (streams.putIfAbsent(body.getString("logStreamName"), new ArrayList<>()) != null) {
          reply(
              exchange,
              400,
              error("ResourceAlreadyExistsException", "The specified log stream already exists"));
        } else {
          reply(exchange, 200, JsonValue.EMPTY_JSON_OBJECT);
        }
      }
      case "PutLogEvents" -> {
        List<Stored> stream = streams.get(body.getString("logStreamName"));
        if (stream == null) {
          reply(exchange, 400, NO_SUCH_STREAM);
          return;
        }
        body.getJsonArray("logEvents")
            .forEach(
                e ->
                    stream.add(
                        new Stored(
                            e.asJsonObject().getJsonNumber("timestamp").longValue(),
                            e.asJsonObject().getString("message"))));
        reply(exchange, 200, Json.createObjectBuilder().add("nextSequenceToken", "1").build());
      }
      case "GetLogEvents" -> getLogEvents(exchange, body);
      default -> reply(exchange, 400, error("UnknownOperationException", action));
    }
  }

  /**
   * Tokens are "f/<index>" and "b/<index>" into the events in range; at the end the same token
   * again.
   */
  private void getLogEvents(HttpExchange exchange, JsonObject body) throws IOException {
    List<Stored> stream = streams.get(body.getString("logStreamName"));
    if (stream == null) {
      reply(exchange, 400, NO_SUCH_STREAM);
      return;
    }
    long start =
        body.containsKey("startTime")
            ? body.getJsonNumber("startTime").longValue()
            : Long.MIN_VALUE;
    long end =
        body.containsKey("endTime") ? body.getJsonNumber("endTime").longValue() : Long.MAX_VALUE;
    List<Stored> range =
        stream.stream().filter(e -> e.timestamp() >= start && e.timestamp() < end).toList();
    int limit = body.getInt("limit", 10_000);
    boolean forward = body.getBoolean("startFromHead", false);
    String token = body.getString("nextToken", null);
    if (token != null && !token.matches("[fb]/\\d+")) {
      reply(
          exchange, 400, error("InvalidParameterException", "The specified nextToken is invalid."));
      return;
    }
    int from;
    int to;
    if (forward) {
      from = token == null ? 0 : Integer.parseInt(token.substring(2));
      to = Math.min(range.size(), from + limit);
    } else {
      to = token == null ? range.size() : Integer.parseInt(token.substring(2));
      from = Math.max(0, to - limit);
    }
    JsonArrayBuilder events = Json.createArrayBuilder();
    range
        .subList(from, to)
        .forEach(
            e ->
                events.add(
                    Json.createObjectBuilder()
                        .add("timestamp", e.timestamp())
                        .add("message", e.message())));
    reply(
        exchange,
        200,
        Json.createObjectBuilder()
            .add("events", events)
            .add("nextForwardToken", "f/" + to)
            .add("nextBackwardToken", "b/" + from)
            .build());
  }

  private static JsonObject error(String type, String message) {
    return Json.createObjectBuilder().add("__type", type).add("message", message).build();
  }

  private static void reply(HttpExchange exchange, int status, JsonObject body) throws IOException {
    byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.1");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
