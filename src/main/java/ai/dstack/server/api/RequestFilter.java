package ai.dstack.server.api;

import ai.dstack.server.ServerContext;
import ai.dstack.server.users.control.Users;
import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonException;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import jakarta.json.stream.JsonParsingException;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.ext.Provider;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Runs upstream's checks in upstream's order (API.md §1.2): malformed JSON (422), then the client
 * version (400), then the token (401/403). Project and role checks follow in the resources, and
 * schema validation last.
 */
@Provider
@Priority(Priorities.AUTHENTICATION)
public class RequestFilter implements ContainerRequestFilter {
  /** A body FastAPI would not parse as JSON: any request model rejects it as not a dict. */
  private static final JsonValue NOT_JSON = Json.createValue("");

  @Context private ResourceInfo resourceInfo;
  @Inject private CallContext call;
  @Inject private ServerContext server;
  @Inject private Users users;

  @Override
  public void filter(ContainerRequestContext request) throws IOException {
    if (HttpMethod.OPTIONS.equals(request.getMethod())) {
      return; // no route takes OPTIONS: OptionsFilter answers 405 as Starlette does
    }
    server.requireStarted();
    if (!resourceInfo.getResourceMethod().isAnnotationPresent(NoRequestBody.class)) {
      call.setBody(readJsonBody(request));
    }
    ApiVersion.check(request.getHeaderString("X-API-VERSION"), server.version());
    if (!isPublic()) {
      call.setUser(users.authenticate(bearerToken(request)));
    }
  }

  private boolean isPublic() {
    return resourceInfo.getResourceMethod().isAnnotationPresent(Public.class)
        || resourceInfo.getResourceClass().isAnnotationPresent(Public.class);
  }

  /**
   * FastAPI's HTTPBearer: the header is split at its first space; the scheme must be "bearer" in
   * any case, and everything after that space, as sent, is the token.
   */
  private static String bearerToken(ContainerRequestContext request) {
    String credentials = bearerCredentials(request.getHeaderString(HttpHeaders.AUTHORIZATION));
    if (credentials == null) {
      throw ApiException.notAuthenticated();
    }
    return credentials;
  }

  /** The token of an {@code Authorization} header by HTTPBearer's rules; null if there is none. */
  public static String bearerCredentials(String header) {
    if (header == null) {
      return null;
    }
    int space = header.indexOf(' ');
    String scheme = space < 0 ? header : header.substring(0, space);
    String credentials = space < 0 ? "" : header.substring(space + 1);
    if (scheme.isEmpty() || credentials.isEmpty() || !scheme.equalsIgnoreCase("bearer")) {
      return null;
    }
    return credentials;
  }

  /**
   * Parses a JSON body once, as FastAPI does: an empty body is no body; a body of another content
   * type is not parsed and fails the schema as "not a valid dict". Multipart uploads are left to
   * their resources.
   */
  private static JsonValue readJsonBody(ContainerRequestContext request) throws IOException {
    MediaType type = request.getMediaType();
    if (!request.hasEntity() || (type != null && type.getType().equalsIgnoreCase("multipart"))) {
      return null;
    }
    byte[] bytes = request.getEntityStream().readAllBytes();
    request.setEntityStream(new ByteArrayInputStream(bytes));
    if (bytes.length == 0) {
      return null;
    }
    if (!isJson(request.getHeaderString(HttpHeaders.CONTENT_TYPE))) {
      return NOT_JSON;
    }
    try (JsonReader reader =
        Json.createReader(
            new InputStreamReader(new ByteArrayInputStream(bytes), StandardCharsets.UTF_8))) {
      return reader.readValue();
    } catch (JsonParsingException e) {
      long offset = e.getLocation() == null ? 0 : Math.max(0, e.getLocation().getStreamOffset());
      throw ApiException.jsonInvalid(offset, e.getMessage());
    } catch (JsonException e) {
      throw ApiException.jsonInvalid(0, e.getMessage());
    }
  }

  /** No Content-Type, {@code application/json} or {@code application/*+json}. */
  private static boolean isJson(String contentType) {
    if (contentType == null) {
      return true;
    }
    String mime = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    return mime.equals("application/json")
        || (mime.startsWith("application/") && mime.endsWith("+json"));
  }
}
