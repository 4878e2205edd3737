package ai.dstack.server.it;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Recorded upstream exchanges (shared/spec/traces/*.jsonl, one JSON object per line), found beside
 * the clone as {@code ../shared/spec/traces}; {@code -Dit.traces} points elsewhere.
 */
public final class Traces {
  private Traces() {}

  /** One recorded request and the upstream server's response to it. */
  public record Exchange(
      String file,
      int line,
      String method,
      String path,
      Map<String, String> requestHeaders,
      String requestBody,
      int status,
      JsonValue responseBody) {

    /** A header of the recorded request, by case-insensitive name. */
    public String header(String name) {
      return requestHeaders.entrySet().stream()
          .filter(e -> e.getKey().equalsIgnoreCase(name))
          .map(Map.Entry::getValue)
          .findFirst()
          .orElse(null);
    }

    @Override
    public String toString() {
      return file + ":" + line + " " + method + " " + path;
    }
  }

  public static Path directory() {
    String configured = System.getProperty("it.traces");
    Path dir =
        configured != null && !configured.isBlank()
            ? Path.of(configured)
            : Path.of("..", "shared", "spec", "traces");
    if (!Files.isDirectory(dir)) {
      throw new IllegalStateException(
          "No recorded traces at " + dir.toAbsolutePath() + " (set -Dit.traces)");
    }
    return dir;
  }

  /** Every {@code *.jsonl} file of the traces directory, by name. */
  public static List<Path> files() {
    try (Stream<Path> listing = Files.list(directory())) {
      return listing.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static List<Exchange> load(String fileName) {
    return load(directory().resolve(fileName));
  }

  public static List<Exchange> load(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Exchange> exchanges = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) {
        continue;
      }
      JsonObject record;
      try (JsonReader reader = Json.createReader(new StringReader(lines.get(i)))) {
        record = reader.readObject();
      }
      Map<String, String> headers = new LinkedHashMap<>();
      JsonObject recordedHeaders = record.getJsonObject("request_headers");
      if (recordedHeaders != null) {
        recordedHeaders.forEach((k, v) -> headers.put(k, ((JsonString) v).getString()));
      }
      exchanges.add(
          new Exchange(
              file.getFileName().toString(),
              i + 1,
              record.getString("method"),
              record.getString("path"),
              headers,
              requestText(record.get("request_body")),
              record.getInt("status"),
              responseJson(record.get("response_body"))));
    }
    return exchanges;
  }

  /** The body as sent: recorded as {"json":…}, {"text":…} or {"base64":…}; null for none. */
  private static String requestText(JsonValue body) {
    if (body == null || body.getValueType() == JsonValue.ValueType.NULL) {
      return null;
    }
    JsonObject wrapped = body.asJsonObject();
    if (wrapped.containsKey("json")) {
      return wrapped.get("json").toString();
    }
    if (wrapped.containsKey("text")) {
      return wrapped.getString("text");
    }
    if (wrapped.containsKey("base64")) {
      return new String(
          Base64.getDecoder().decode(wrapped.getString("base64")), StandardCharsets.UTF_8);
    }
    throw new IllegalArgumentException("Unknown recorded body form: " + body);
  }

  private static JsonValue responseJson(JsonValue body) {
    if (body == null || body.getValueType() == JsonValue.ValueType.NULL) {
      return null;
    }
    JsonObject wrapped = body.asJsonObject();
    if (wrapped.containsKey("json")) {
      return wrapped.get("json");
    }
    if (wrapped.containsKey("text")) {
      return Json.createReader(new StringReader(wrapped.getString("text"))).readValue();
    }
    throw new IllegalArgumentException("Recorded response is not JSON: " + body);
  }
}
