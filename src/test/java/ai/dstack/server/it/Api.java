package ai.dstack.server.it;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

/** An HTTP client that talks to the server the way the dstack CLI does. */
public final class Api {
  // HTTP/1.1 like the CLI (python-requests); no h2c upgrade, whose one bad stream breaks the
  // shared connection for every later request
  private static final HttpClient CLIENT =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private final String baseUrl;
  private final String adminToken;

  public Api(String baseUrl, String adminToken) {
    this.baseUrl = baseUrl;
    this.adminToken = adminToken;
  }

  public record Reply(int status, Map<String, java.util.List<String>> headers, String text) {
    public JsonValue json() {
      return Json.createReader(new StringReader(text)).readValue();
    }

    public JsonObject object() {
      return json().asJsonObject();
    }

    public String header(String name) {
      return headers.entrySet().stream()
          .filter(e -> e.getKey().equalsIgnoreCase(name))
          .map(e -> e.getValue().get(0))
          .findFirst()
          .orElse(null);
    }
  }

  public String baseUrl() {
    return baseUrl;
  }

  public String adminToken() {
    return adminToken;
  }

  /** POST as the admin, with a JSON body (or none when {@code body} is null). */
  public Reply post(String path, String body) {
    return post(path, adminToken, body);
  }

  public Reply post(String path, String token, String body) {
    return send("POST", path, token, body, Map.of("X-API-VERSION", "0.20.29"));
  }

  public Reply send(
      String method, String path, String token, String body, Map<String, String> headers) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(60));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    if (body != null) {
      request.header("Content-Type", "application/json");
      request.method(method, HttpRequest.BodyPublishers.ofString(body));
    } else {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    }
    // explicit headers win over the defaults above (e.g. another Content-Type)
    headers.forEach(request::setHeader);
    try {
      HttpResponse<String> response =
          CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return new Reply(response.statusCode(), response.headers().map(), response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * POST of {@code files={"file": (filename, content)}} exactly as the CLI's python-requests
   * encodes it: a random 32-hex boundary, one part with only a Content-Disposition header.
   */
  public Reply upload(String path, String token, String filename, byte[] content) {
    String boundary = UUID.randomUUID().toString().replace("-", "");
    return sendBytes(
        path,
        token,
        multipart(boundary, "file", filename, content),
        "multipart/form-data; boundary=" + boundary);
  }

  /** One multipart part (no filename parameter when {@code filename} is null) and the end. */
  public static byte[] multipart(String boundary, String name, String filename, byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String head =
        "--"
            + boundary
            + "\r\nContent-Disposition: form-data; name=\""
            + name
            + "\""
            + (filename == null ? "" : "; filename=\"" + filename + "\"")
            + "\r\n\r\n";
    out.writeBytes(head.getBytes(StandardCharsets.UTF_8));
    out.writeBytes(content);
    out.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  /** POST of raw bytes with the given Content-Type (none when null), as the CLI's version. */
  public Reply sendBytes(String path, String token, byte[] body, String contentType) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(baseUrl + path))
            .timeout(Duration.ofSeconds(60))
            .header("X-API-VERSION", "0.20.29")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    try {
      HttpResponse<String> response =
          CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return new Reply(response.statusCode(), response.headers().map(), response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A unique valid name for a user or project, so test classes never collide. */
  public static String uniqueName(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** Creates a user (as admin) and returns its token. */
  public String createUser(String username, String globalRole) {
    Reply created =
        post(
            "/api/users/create",
            "{\"username\":\"" + username + "\",\"global_role\":\"" + globalRole + "\"}");
    if (created.status() != 200) {
      throw new IllegalStateException("users/create failed: " + created);
    }
    Reply user = post("/api/users/get_user", "{\"username\":\"" + username + "\"}");
    return user.object().getJsonObject("creds").getString("token");
  }

  /** Creates a project as the given user. */
  public Reply createProject(String token, String name) {
    return post("/api/projects/create", token, "{\"project_name\":\"" + name + "\"}");
  }
}
