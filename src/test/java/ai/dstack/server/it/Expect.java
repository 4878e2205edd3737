package ai.dstack.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.util.Collection;

/** Request bodies and upstream's exact response bodies, for the API tests. */
public final class Expect {
  private Expect() {}

  /** A JSON object from key/value pairs; values may be strings, numbers, booleans, lists, null. */
  public static String body(Object... keysAndValues) {
    return object(keysAndValues).toString();
  }

  public static JsonObject object(Object... keysAndValues) {
    JsonObjectBuilder builder = Json.createObjectBuilder();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      builder.add((String) keysAndValues[i], value(keysAndValues[i + 1]));
    }
    return builder.build();
  }

  private static JsonValue value(Object value) {
    if (value == null) {
      return JsonValue.NULL;
    }
    if (value instanceof JsonValue json) {
      return json;
    }
    if (value instanceof String s) {
      return Json.createValue(s);
    }
    if (value instanceof Boolean b) {
      return b ? JsonValue.TRUE : JsonValue.FALSE;
    }
    if (value instanceof Integer n) {
      return Json.createValue(n);
    }
    if (value instanceof Long n) {
      return Json.createValue(n);
    }
    if (value instanceof Collection<?> items) {
      JsonArrayBuilder array = Json.createArrayBuilder();
      items.forEach(item -> array.add(value(item)));
      return array.build();
    }
    throw new IllegalArgumentException("Unsupported JSON value: " + value);
  }

  /** {@code {"username":u,"project_role":r}} items for the member endpoints. */
  public static JsonObject member(String username, String role) {
    return object("username", username, "project_role", role);
  }

  public static JsonValue parse(String text) {
    return Json.createReader(new StringReader(text)).readValue();
  }

  public static JsonObject ok(Api.Reply reply) {
    assertEquals(200, reply.status(), () -> "expected 200, got " + reply);
    return reply.object();
  }

  public static JsonArray okArray(Api.Reply reply) {
    assertEquals(200, reply.status(), () -> "expected 200, got " + reply);
    return reply.json().asJsonArray();
  }

  /** 200 with the JSON body {@code null}, as endpoints without a response model answer. */
  public static void okNull(Api.Reply reply) {
    assertEquals(200, reply.status(), () -> "expected 200, got " + reply);
    assertEquals("null", reply.text().trim());
  }

  /** 400 {@code {"detail":[{"msg":…,"code":…}]}}. */
  public static void clientError(Api.Reply reply, String code, String msg) {
    assertBody(
        reply,
        400,
        object("detail", Json.createArrayBuilder().add(object("msg", msg, "code", code)).build()));
  }

  public static void error(Api.Reply reply, String msg) {
    clientError(reply, "error", msg);
  }

  public static void resourceExists(Api.Reply reply) {
    clientError(reply, "resource_exists", "Resource exists");
  }

  public static void resourceNotExists(Api.Reply reply) {
    clientError(reply, "resource_not_exists", "Resource not found");
  }

  /** 403 from a service rule: a top-level {@code {"msg":…,"code":null}}. */
  public static void forbidden(Api.Reply reply, String msg) {
    assertBody(reply, 403, object("msg", msg, "code", null));
  }

  /** 403 from a role check: {@code {"detail":{"msg":"Access denied","code":null}}}. */
  public static void accessDenied(Api.Reply reply) {
    assertBody(reply, 403, object("detail", object("msg", "Access denied", "code", null)));
  }

  public static void invalidToken(Api.Reply reply) {
    assertBody(reply, 403, object("detail", object("msg", "Invalid token", "code", null)));
  }

  public static void projectNotFound(Api.Reply reply) {
    assertBody(reply, 404, object("detail", object("msg", "Not found", "code", null)));
  }

  public static void assertBody(Api.Reply reply, int status, JsonValue body) {
    assertEquals(status, reply.status(), () -> "unexpected status: " + reply);
    assertEquals(body, reply.json(), () -> "unexpected body: " + reply.text());
  }
}
