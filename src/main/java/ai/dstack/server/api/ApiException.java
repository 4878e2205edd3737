package ai.dstack.server.api;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Every error the API returns, with upstream's exact status and body (API.md §1.4): 400 is a
 * one-entry list under {@code detail}, token/role 403 and project 404 an object under {@code
 * detail}, a service-level 403 a top-level object, 422 FastAPI's validation list.
 */
public class ApiException extends RuntimeException {
  public static final String CODE_ERROR = "error";
  public static final String CODE_RESOURCE_EXISTS = "resource_exists";
  public static final String CODE_RESOURCE_NOT_EXISTS = "resource_not_exists";
  public static final String CODE_REPO_DOES_NOT_EXIST = "repo_does_not_exist";

  private final int status;
  private final transient JsonValue body;

  private ApiException(int status, String message, JsonValue body) {
    super(message, null, false, false);
    this.status = status;
    this.body = body;
  }

  public int status() {
    return status;
  }

  public JsonValue body() {
    return body;
  }

  /** 400 with a {@code ServerClientErrorCode} the CLI turns into a typed error. */
  public static ApiException clientError(String code, String msg) {
    JsonObject entry = Json.createObjectBuilder().add("msg", msg).add("code", code).build();
    return new ApiException(400, code + ": " + msg, detail(Json.createArrayBuilder().add(entry)));
  }

  /** 400 {@code invalid_credentials}, one detail entry per offending field path, as upstream. */
  public static ApiException invalidCredentials(List<List<String>> fields) {
    JsonArrayBuilder entries = Json.createArrayBuilder();
    for (List<String> field : fields) {
      entries.add(
          Json.createObjectBuilder()
              .add("msg", "Invalid credentials")
              .add("code", "invalid_credentials")
              .add("fields", Json.createArrayBuilder(field)));
    }
    return new ApiException(400, "Invalid credentials", detail(entries));
  }

  public static ApiException error(String msg) {
    return clientError(CODE_ERROR, msg);
  }

  public static ApiException resourceExists() {
    return clientError(CODE_RESOURCE_EXISTS, "Resource exists");
  }

  public static ApiException resourceNotExists() {
    return resourceNotExists("Resource not found");
  }

  public static ApiException resourceNotExists(String msg) {
    return clientError(CODE_RESOURCE_NOT_EXISTS, msg);
  }

  /** 400 {@code repo_does_not_exist}: a code upload or run names a repo never initialised. */
  public static ApiException repoDoesNotExist(String repoId) {
    return clientError(CODE_REPO_DOES_NOT_EXIST, "Repo " + repoId + " does not exist");
  }

  /** 400 of FastAPI for a form body it cannot parse (e.g. multipart without a boundary). */
  public static ApiException bodyParseError() {
    String msg = "There was an error parsing the body";
    return new ApiException(400, msg, Json.createObjectBuilder().add("detail", msg).build());
  }

  /** 403 raised by a service rule (ForbiddenError): top-level body, no {@code detail}. */
  public static ApiException forbidden(String msg) {
    return new ApiException(403, msg, msgAndNullCode(msg));
  }

  public static ApiException forbidden() {
    return forbidden("Access denied");
  }

  /** 403 from the role checks of the security dependencies. */
  public static ApiException accessDenied() {
    return new ApiException(403, "Access denied", detail(msgAndNullCode("Access denied")));
  }

  public static ApiException invalidToken() {
    return new ApiException(403, "Invalid token", detail(msgAndNullCode("Invalid token")));
  }

  public static ApiException notAuthenticated() {
    return new ApiException(
        401,
        "Not authenticated",
        Json.createObjectBuilder().add("detail", "Not authenticated").build());
  }

  public static ApiException projectNotFound() {
    return new ApiException(404, "Project not found", detail(msgAndNullCode("Not found")));
  }

  public static ApiException routeNotFound() {
    return new ApiException(
        404, "Not Found", Json.createObjectBuilder().add("detail", "Not Found").build());
  }

  public static ApiException methodNotAllowed() {
    return new ApiException(
        405,
        "Method Not Allowed",
        Json.createObjectBuilder().add("detail", "Method Not Allowed").build());
  }

  /**
   * The methods a route allows, as Starlette's {@code Allow} header lists them (JAX-RS's implicit
   * OPTIONS is not one of them).
   */
  public static String allowHeader(Set<String> methods) {
    return methods.stream()
        .filter(m -> !m.equalsIgnoreCase("OPTIONS"))
        .sorted()
        .collect(Collectors.joining(", "));
  }

  /** 503 while the server is starting or after it failed to start. */
  public static ApiException unavailable(String msg) {
    return new ApiException(503, msg, Json.createObjectBuilder().add("detail", msg).build());
  }

  /** 400 list shape used by the version check (a list entry whose code may be null). */
  public static ApiException versionError(String msg, String code) {
    JsonObjectBuilder entry = Json.createObjectBuilder().add("msg", msg);
    if (code == null) {
      entry.addNull("code");
    } else {
      entry.add("code", code);
    }
    return new ApiException(400, msg, detail(Json.createArrayBuilder().add(entry)));
  }

  public static ApiException validation(List<JsonObject> issues) {
    JsonArrayBuilder list = Json.createArrayBuilder();
    issues.forEach(list::add);
    JsonArray array = list.build();
    return new ApiException(422, "validation error: " + array, detail(array));
  }

  /** 422 for a body that is not JSON at all: FastAPI's {@code json_invalid} entry. */
  public static ApiException jsonInvalid(long offset, String error) {
    JsonObject entry =
        Json.createObjectBuilder()
            .add("type", "json_invalid")
            .add("loc", Json.createArrayBuilder().add("body").add(offset))
            .add("msg", "JSON decode error")
            .add("input", JsonValue.EMPTY_JSON_OBJECT)
            .add("ctx", Json.createObjectBuilder().add("error", error == null ? "" : error))
            .build();
    return new ApiException(
        422, "malformed JSON: " + error, detail(Json.createArrayBuilder().add(entry)));
  }

  private static JsonObject detail(JsonValue value) {
    return Json.createObjectBuilder().add("detail", value).build();
  }

  private static JsonObject detail(JsonArrayBuilder value) {
    return detail(value.build());
  }

  private static JsonObject msgAndNullCode(String msg) {
    return Json.createObjectBuilder().add("msg", msg).addNull("code").build();
  }
}
