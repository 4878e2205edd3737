package ai.dstack.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Who may call what (API.md §1.2–§1.4, fact sheet "Permission dependencies"): every users, projects
 * and no-auth endpoint, and the secrets and backends rules, against every kind of caller, with the
 * exact status and body upstream answers; and the order in which upstream runs its checks.
 */
@ExtendWith(SharedServer.class)
class PermissionMatrixIT {
  /** The matrix columns, in table order. */
  enum Caller {
    NO_TOKEN,
    NON_BEARER,
    BAD_TOKEN,
    NON_MEMBER,
    MEMBER,
    MANAGER,
    PROJECT_ADMIN,
    GLOBAL_ADMIN;

    boolean authenticated() {
      return ordinal() >= NON_MEMBER.ordinal();
    }

    /** Holds a role in the fixture's private projects. */
    boolean member() {
      return this == MEMBER || this == MANAGER || this == PROJECT_ADMIN;
    }
  }

  /** What the server must answer; {@code body == null} means 200 checked by the endpoint. */
  record Expect(String label, int status, String body) {
    @Override
    public String toString() {
      return label;
    }
  }

  static final Expect OK = new Expect("200", 200, null);
  static final Expect UNAUTHENTICATED =
      new Expect("401 Not authenticated", 401, "{\"detail\":\"Not authenticated\"}");
  static final Expect INVALID_TOKEN =
      new Expect(
          "403 Invalid token", 403, "{\"detail\":{\"msg\":\"Invalid token\",\"code\":null}}");
  static final Expect DENIED =
      new Expect(
          "403 Access denied", 403, "{\"detail\":{\"msg\":\"Access denied\",\"code\":null}}");
  static final Expect PROJECT_NOT_FOUND =
      new Expect("404 Not found", 404, "{\"detail\":{\"msg\":\"Not found\",\"code\":null}}");
  static final Expect USER_NOT_FOUND =
      new Expect(
          "400 resource_not_exists",
          400,
          "{\"detail\":[{\"msg\":\"Resource not found\",\"code\":\"resource_not_exists\"}]}");

  /** A service-level ForbiddenError: top-level body, no {@code detail}. */
  static Expect forbidden(String msg) {
    return new Expect("403 " + msg, 403, "{\"msg\":\"" + msg + "\",\"code\":null}");
  }

  /** One request of a row: fresh targets, what a refusal must leave untouched, the 200 check. */
  record Request(
      String path,
      String body,
      String targetProject,
      String targetUser,
      BiConsumer<Caller, Api.Reply> onSuccess) {}

  /** An endpoint of the matrix; {@code forbidden} is its service-level 403 message. */
  record Endpoint(String name, String forbidden, BiFunction<Caller, Fixture, Request> prepare) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static Fixture fx;

  @BeforeAll
  static void createUsersAndAPrivateProjectWithEveryRole(Api api) {
    fx = new Fixture(api);
  }

  /*
   * Columns (Caller): none = no Authorization header; basc = "Basic ..." (a valid admin token under
   * another scheme); bad = unknown Bearer token; nmem = a user who is no member; user, mgr, padm =
   * members with project role user, manager, admin; gadm = a global admin who is no member.
   *
   * Cells: ok = 200 (checked per endpoint); 401 = Not authenticated; inv = 403 Invalid token;
   * deny = 403 {"detail":{"msg":"Access denied"}}; forb = the endpoint's service-level 403
   * (top-level body); 404 = project Not found; nf = 400 resource_not_exists.
   */
  static Stream<Arguments> matrix() {
    return Stream.of(
            //   none basc bad  nmem user mgr  padm gadm
            row("ok   ok   ok   ok   ok   ok   ok   ok  ", GET_INFO),
            row("ok   ok   ok   ok   ok   ok   ok   ok  ", LIST_BACKEND_TYPES),
            row("ok   ok   ok   ok   ok   ok   ok   ok  ", LIST_OAUTH_PROVIDERS),
            row("401  401  inv  ok   ok   ok   ok   ok  ", USERS_LIST),
            row("401  401  inv  ok   ok   ok   ok   ok  ", GET_MY_USER),
            row("401  401  inv  ok   ok   ok   ok   ok  ", GET_USER_SELF),
            row("401  401  inv  nf   nf   nf   nf   ok  ", GET_USER_OTHER),
            row("401  401  inv  deny deny deny deny ok  ", USERS_CREATE),
            row("401  401  inv  deny deny deny deny ok  ", USERS_UPDATE),
            row("401  401  inv  ok   ok   ok   ok   ok  ", REFRESH_SSH_KEY_SELF),
            row("401  401  inv  deny deny deny deny ok  ", REFRESH_SSH_KEY_OTHER),
            row("401  401  inv  ok   ok   ok   ok   ok  ", REFRESH_TOKEN_SELF),
            row("401  401  inv  deny deny deny deny ok  ", REFRESH_TOKEN_OTHER),
            row("401  401  inv  deny deny deny deny ok  ", USERS_DELETE),
            row("401  401  inv  ok   ok   ok   ok   ok  ", PUBLIC_KEYS_LIST),
            row("401  401  inv  ok   ok   ok   ok   ok  ", PUBLIC_KEYS_ADD),
            row("401  401  inv  ok   ok   ok   ok   ok  ", PUBLIC_KEYS_DELETE),
            row("401  401  inv  ok   ok   ok   ok   ok  ", PROJECTS_LIST),
            row("401  401  inv  ok   ok   ok   ok   ok  ", PROJECTS_LIST_ONLY_NO_FLEETS),
            row("401  401  inv  ok   ok   ok   ok   ok  ", PROJECTS_CREATE),
            row("401  401  inv  forb forb forb ok   ok  ", PROJECTS_DELETE),
            row("401  401  inv  deny ok   ok   ok   ok  ", PROJECT_GET),
            row("401  401  inv  deny ok   ok   ok   ok  ", PROJECT_GET_IN_CAPITALS),
            row("401  401  inv  ok   ok   ok   ok   ok  ", PUBLIC_PROJECT_GET),
            row("401  401  inv  deny deny ok   ok   ok  ", SET_MEMBERS),
            row("401  401  inv  deny deny ok   ok   ok  ", ADD_MEMBERS),
            row("401  401  inv  ok   forb ok   ok   ok  ", ADD_SELF_TO_PUBLIC_PROJECT),
            row("401  401  inv  deny forb ok   ok   ok  ", REMOVE_MEMBERS),
            row("401  401  inv  deny deny deny ok   ok  ", PROJECT_UPDATE),
            row("401  401  inv  deny deny forb ok   ok  ", SECRETS_LIST),
            row("401  401  inv  deny deny deny ok   ok  ", BACKENDS_DELETE_NONE),
            row("401  401  inv  404  404  404  404  404 ", UNKNOWN_PROJECT_GET),
            row("401  401  inv  404  404  404  404  404 ", UNKNOWN_PROJECT_SET_MEMBERS),
            row("401  401  inv  404  404  404  404  404 ", UNKNOWN_PROJECT_ADD_MEMBERS),
            row("401  401  inv  404  404  404  404  404 ", UNKNOWN_PROJECT_REMOVE_MEMBERS),
            row("401  401  inv  404  404  404  404  404 ", UNKNOWN_PROJECT_UPDATE))
        .flatMap(s -> s);
  }

  @ParameterizedTest(name = "{0} as {1} -> {2}")
  @MethodSource("matrix")
  void callerGetsUpstreamAnswer(Endpoint endpoint, Caller caller, Expect expect) {
    fx.freshTargets = expect == OK;
    Request request = endpoint.prepare().apply(caller, fx);
    String before = expect.status() == 200 ? null : fx.snapshot(request);

    Api.Reply reply = fx.call(caller, request.path(), request.body());

    assertEquals(expect.status(), reply.status(), () -> "answer: " + reply.text());
    assertEquals("application/json", reply.header("Content-Type"));
    if (expect.body() == null) {
      request.onSuccess().accept(caller, reply);
      return;
    }
    assertEquals(expect.body(), reply.text());
    if (expect.status() == 401) {
      assertEquals("Bearer", reply.header("WWW-Authenticate"));
    }
    assertEquals(before, fx.snapshot(request), "a refused request must change nothing");
  }

  // ------------------------------------------------------------------------- order of checks

  static final String V = "0.20.29";

  /**
   * API.md §1.2 "Order of checks": malformed JSON (only where the endpoint has a request model),
   * then the client version, the token, the project, the role, and the schema last. Columns: rule |
   * caller (as in the matrix) | X-API-VERSION | endpoint ({p}: the fixture's private project,
   * {unknown}: no project) | body | status and answer. "-" is no header / no body.
   */
  static final String CHECK_ORDER =
      """
      malformed JSON beats a missing token      | none | 0.20.29 | users/create                   | {                     | 422 json_invalid
      malformed JSON beats a bad token          | bad  | 0.20.29 | users/create                   | {                     | 422 json_invalid
      malformed JSON beats the admin check      | user | 0.20.29 | users/create                   | {                     | 422 json_invalid
      malformed JSON beats a garbage version    | none | x       | users/create                   | {                     | 422 json_invalid
      malformed JSON beats a newer version      | gadm | 0.21.0  | users/list                     | {                     | 422 json_invalid
      malformed JSON beats an unknown project   | none | 0.20.29 | projects/{unknown}/update      | [1,                   | 422 json_invalid
      malformed JSON beats a missing role       | nmem | 0.20.29 | projects/{p}/set_members       | {                     | 422 json_invalid
      no request model: malformed body ignored  | none | 0.20.29 | server/get_info                | {                     | 200 info
      no request model: then the token          | none | 0.20.29 | users/get_my_user              | {                     | 401
      no request model: then the project        | gadm | 0.20.29 | projects/{unknown}/get         | {                     | 404
      no request model: then the role           | nmem | 0.20.29 | projects/{p}/get               | not json              | 403 deny
      no request model: a member gets it        | user | 0.20.29 | projects/{p}/get               | not json              | 200 project
      a garbage version beats a missing token   | none | x       | users/list                     | -                     | 400 invalid x
      a newer version beats a bad token         | bad  | 0.21.0  | users/list                     | -                     | 400 incompatible 0.21.0
      the version is checked without auth too   | none | 1.0.0   | server/get_info                | -                     | 400 incompatible 1.0.0
      the version beats an unknown project      | gadm | x       | projects/{unknown}/get         | -                     | 400 invalid x
      the version beats a schema error          | gadm | x       | users/create                   | {}                    | 400 invalid x
      a missing token beats an unknown project  | none | 0.20.29 | projects/{unknown}/get         | -                     | 401
      a bad scheme beats an unknown project     | basc | 0.20.29 | projects/{unknown}/get         | -                     | 401
      a bad token beats an unknown project      | bad  | 0.20.29 | projects/{unknown}/update      | {}                    | 403 inv
      a missing token beats a schema error      | none | 0.20.29 | users/create                   | {}                    | 401
      a bad token beats a schema error          | bad  | 0.20.29 | users/create                   | {"username":1}        | 403 inv
      the admin check beats a schema error      | user | 0.20.29 | users/create                   | {}                    | 403 deny
      the admin check beats a missing body      | mgr  | 0.20.29 | users/delete                   | -                     | 403 deny
      an unknown project beats a schema error   | gadm | 0.20.29 | projects/{unknown}/update      | {"is_public":"maybe"} | 404
      an unknown project beats a missing body   | gadm | 0.20.29 | projects/{unknown}/set_members | -                     | 404
      the project role beats a schema error     | mgr  | 0.20.29 | projects/{p}/update            | {"is_public":[]}      | 403 deny
      the project role beats a missing body     | nmem | 0.20.29 | projects/{p}/remove_members    | -                     | 403 deny
      the schema beats the self-or-admin rule   | user | 0.20.29 | users/refresh_token            | {}                    | 422 missing username
      the schema beats the get_user rule        | user | 0.20.29 | users/get_user                 | {}                    | 422 missing username
      the schema beats the project delete rules | nmem | 0.20.29 | projects/delete                | -                     | 422 missing body
      """;

  static Stream<Arguments> checkOrder() {
    return CHECK_ORDER
        .lines()
        .map(line -> Arrays.stream(line.split("\\|")).map(String::trim).toArray(String[]::new))
        .map(c -> Arguments.of(c[0], column(c[1]), dash(c[2]), c[3], dash(c[4]), c[5]));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("checkOrder")
  void checksRunInUpstreamOrder(
      String rule, Caller caller, String version, String endpoint, String body, String answer) {
    String path =
        "/api/"
            + endpoint.replace("{p}", fx.project).replace("{unknown}", Api.uniqueName("nowhere"));
    Request request = new Request(path, body, fx.project, null, null);
    String before = fx.snapshot(request);

    Api.Reply reply = fx.call(caller, path, body, version);

    String[] expected = answer.split(" ", 2);
    assertEquals(Integer.parseInt(expected[0]), reply.status(), () -> "answer: " + reply.text());
    String detail = expected.length > 1 ? expected[1] : "";
    switch (detail.split(" ")[0]) {
      case "json_invalid" -> assertJsonInvalid(reply);
      case "info" -> assertEquals("{\"server_version\":\"0.20.29\"}", reply.text());
      case "project" -> assertEquals(fx.project, reply.object().getString("project_name"));
      case "inv" -> assertEquals(INVALID_TOKEN.body(), reply.text());
      case "deny" -> assertEquals(DENIED.body(), reply.text());
      case "invalid" -> assertEquals(invalidVersion(detail.substring(8)), reply.text());
      case "incompatible" -> assertEquals(incompatible(detail.substring(13)), reply.text());
      case "missing" -> assertEquals(missing(detail.substring(8)), reply.text());
      case "" ->
          assertEquals(
              reply.status() == 401 ? UNAUTHENTICATED.body() : PROJECT_NOT_FOUND.body(),
              reply.text());
      default -> throw new IllegalArgumentException("unknown answer " + answer);
    }
    if (reply.status() != 200) {
      assertEquals(before, fx.snapshot(request), "a refused request must change nothing");
    }
  }

  /** A matrix column label ("none", "basc", ..., "gadm") as its caller. */
  static Caller column(String label) {
    List<String> labels = List.of("none", "basc", "bad", "nmem", "user", "mgr", "padm", "gadm");
    int index = labels.indexOf(label);
    if (index < 0) {
      throw new IllegalArgumentException("unknown caller " + label);
    }
    return Caller.values()[index];
  }

  private static String dash(String cell) {
    return cell.equals("-") ? null : cell;
  }

  static String missing(String field) {
    String loc = field.equals("body") ? "[\"body\"]" : "[\"body\",\"" + field + "\"]";
    return "{\"detail\":[{\"loc\":"
        + loc
        + ",\"msg\":\"field required\",\"type\":\"value_error.missing\"}]}";
  }

  static String invalidVersion(String version) {
    return "{\"detail\":[{\"msg\":\"Invalid version: " + version + "\",\"code\":null}]}";
  }

  static String incompatible(String version) {
    return "{\"detail\":[{\"msg\":\"The client/CLI version ("
        + version
        + ") is incompatible with the server version (0.20.29).\",\"code\":\"error\"}]}";
  }

  /** FastAPI's entry for a body that is not JSON: {@code loc} is ["body", char offset]. */
  static void assertJsonInvalid(Api.Reply reply) {
    JsonArray detail = reply.object().getJsonArray("detail");
    assertEquals(1, detail.size(), reply::text);
    JsonObject entry = detail.getJsonObject(0);
    assertEquals("json_invalid", entry.getString("type"));
    assertEquals("body", entry.getJsonArray("loc").getString(0));
    assertEquals(JsonValue.ValueType.NUMBER, entry.getJsonArray("loc").get(1).getValueType());
    assertEquals(2, entry.getJsonArray("loc").size());
    assertEquals("JSON decode error", entry.getString("msg"));
    assertEquals(JsonValue.EMPTY_JSON_OBJECT, entry.getJsonObject("input"));
    assertFalse(entry.getJsonObject("ctx").getString("error").isEmpty());
  }

  /**
   * API.md §1.3: no header, "latest" and 0.0.0 mean no check; an older or same-minor client is
   * accepted; a newer minor or major is refused (the message shows the version normalized as
   * packaging prints it); anything packaging cannot parse is "Invalid version" with code null.
   */
  static Stream<Arguments> versions() {
    return Stream.of(
        Arguments.of(null, 200, null),
        Arguments.of("latest", 200, null),
        Arguments.of("0.0.0", 200, null),
        Arguments.of("0.0.0.dev0", 200, null),
        Arguments.of("0.20.29", 200, null),
        Arguments.of("0.20.30", 200, null),
        Arguments.of("0.20.99rc1", 200, null),
        Arguments.of("0.20.29.post1", 200, null),
        Arguments.of("0.20.29-1", 200, null),
        Arguments.of("0.20", 200, null),
        Arguments.of("0.19.0", 200, null),
        Arguments.of("0.12.0", 200, null),
        Arguments.of("0.21.0", 400, incompatible("0.21.0")),
        Arguments.of("0.21", 400, incompatible("0.21")),
        Arguments.of("0.21.0rc1", 400, incompatible("0.21.0rc1")),
        Arguments.of("0.21.0-RC.1", 400, incompatible("0.21.0rc1")),
        Arguments.of("v0.21.0", 400, incompatible("0.21.0")),
        Arguments.of("0.21.0.dev3", 400, incompatible("0.21.0.dev3")),
        Arguments.of("1.0.0", 400, incompatible("1.0.0")),
        Arguments.of("garbage", 400, invalidVersion("garbage")),
        Arguments.of("LATEST", 400, invalidVersion("LATEST")),
        Arguments.of("0.0.0-garbage", 400, invalidVersion("0.0.0-garbage")),
        Arguments.of("0.20.x", 400, invalidVersion("0.20.x")));
  }

  @ParameterizedTest(name = "X-API-VERSION {0} -> {1}")
  @MethodSource("versions")
  void clientVersionRules(String version, int status, String expected) {
    Api.Reply reply = fx.call(Caller.MEMBER, "/api/users/get_my_user", null, version);
    assertEquals(status, reply.status(), reply::text);
    if (expected != null) {
      assertEquals(expected, reply.text());
    } else {
      assertEquals(fx.names.get(Caller.MEMBER), reply.object().getString("username"));
    }
  }

  @ParameterizedTest(name = "Authorization: {0} -> {1}")
  @MethodSource("authorizationHeaders")
  void authorizationHeaderIsSplitAtTheFirstSpace(String header, int status, String expected) {
    String value = header.replace("TOKEN", fx.tokens.get(Caller.MEMBER));
    Api.Reply reply =
        fx.api.send(
            "POST",
            "/api/users/get_my_user",
            null,
            null,
            Map.of("X-API-VERSION", V, "Authorization", value));
    assertEquals(status, reply.status(), reply::text);
    if (expected != null) {
      assertEquals(expected, reply.text());
    }
  }

  /**
   * FastAPI's HTTPBearer splits the header at the first space: the scheme is compared
   * case-insensitively, everything after that one space is the token, as sent.
   */
  static Stream<Arguments> authorizationHeaders() {
    return Stream.of(
        Arguments.of("Bearer TOKEN", 200, null),
        Arguments.of("bearer TOKEN", 200, null),
        Arguments.of("BEARER TOKEN", 200, null),
        Arguments.of("Bearer", 401, UNAUTHENTICATED.body()),
        Arguments.of("TOKEN", 401, UNAUTHENTICATED.body()),
        Arguments.of("Token TOKEN", 401, UNAUTHENTICATED.body()),
        Arguments.of("Bearer\tTOKEN", 401, UNAUTHENTICATED.body()),
        Arguments.of("Bearer  TOKEN", 403, INVALID_TOKEN.body()),
        Arguments.of("Bearer TOKEN extra", 403, INVALID_TOKEN.body()));
  }

  // ---------------------------------------------------------------- the endpoints of the matrix

  static final Endpoint GET_INFO =
      endpoint(
          "server/get_info",
          (caller, fx) ->
              request(
                  "/api/server/get_info",
                  null,
                  (c, reply) -> assertEquals("{\"server_version\":\"0.20.29\"}", reply.text())));

  static final Endpoint LIST_BACKEND_TYPES =
      endpoint(
          "backends/list_types",
          (caller, fx) ->
              request(
                  "/api/backends/list_types",
                  null,
                  (c, r) -> assertEquals(BackendsApiIT.CONFIGURABLE_TYPES, r.text())));

  static final Endpoint LIST_OAUTH_PROVIDERS =
      endpoint(
          "auth/list_providers",
          (caller, fx) ->
              request("/api/auth/list_providers", null, (c, r) -> assertEquals("[]", r.text())));

  static final Endpoint USERS_LIST =
      endpoint(
          "users/list",
          (caller, fx) ->
              request(
                  "/api/users/list",
                  null,
                  (c, reply) -> {
                    List<String> names = usernames(reply.json().asJsonArray());
                    if (c == Caller.GLOBAL_ADMIN) {
                      assertTrue(names.containsAll(fx.names.values()), names::toString);
                    } else {
                      assertEquals(List.of(fx.names.get(c)), names, "others only see themselves");
                    }
                  }));

  static final Endpoint GET_MY_USER =
      endpoint(
          "users/get_my_user",
          (caller, fx) ->
              request(
                  "/api/users/get_my_user",
                  null,
                  (c, reply) -> {
                    assertEquals(fx.names.get(c), reply.object().getString("username"));
                    assertEquals(fx.tokens.get(c), token(reply));
                  }));

  static final Endpoint GET_USER_SELF =
      endpoint(
          "users/get_user (self)",
          (caller, fx) ->
              request(
                  "/api/users/get_user",
                  usernameBody(fx.nameOr(caller, "admin")),
                  (c, reply) -> {
                    assertEquals(fx.names.get(c), reply.object().getString("username"));
                    assertEquals(fx.tokens.get(c), token(reply));
                  }));

  static final Endpoint GET_USER_OTHER =
      endpoint(
          "users/get_user (another user)",
          (caller, fx) ->
              request(
                  "/api/users/get_user",
                  usernameBody(fx.bystander),
                  (c, reply) -> assertEquals(fx.bystander, reply.object().getString("username"))));

  static final Endpoint USERS_CREATE =
      endpoint(
          "users/create",
          (caller, fx) -> {
            String name = Api.uniqueName("perm-new");
            return new Request(
                "/api/users/create",
                "{\"username\":\"" + name + "\",\"global_role\":\"user\"}",
                null,
                name,
                (c, reply) -> {
                  assertEquals(name, reply.object().getString("username"));
                  assertEquals("user", reply.object().getString("global_role"));
                  assertFalse(reply.object().containsKey("creds"));
                });
          });

  static final Endpoint USERS_UPDATE =
      endpoint(
          "users/update",
          (caller, fx) -> {
            String target = fx.targetUser().name();
            return new Request(
                "/api/users/update",
                "{\"username\":\""
                    + target
                    + "\",\"global_role\":\"user\",\"email\":\"updated@example.com\"}",
                null,
                target,
                (c, reply) ->
                    assertEquals("updated@example.com", reply.object().getString("email")));
          });

  static final Endpoint REFRESH_SSH_KEY_SELF =
      endpoint(
          "users/refresh_ssh_key (self)",
          (caller, fx) -> {
            String target = fx.nameOr(caller, "admin");
            String oldKey = fx.user(target).getString("ssh_public_key");
            return new Request(
                "/api/users/refresh_ssh_key",
                usernameBody(target),
                null,
                target,
                (c, reply) -> {
                  assertEquals(target, reply.object().getString("username"));
                  assertNotEquals(oldKey, reply.object().getString("ssh_public_key"));
                });
          });

  static final Endpoint REFRESH_SSH_KEY_OTHER =
      endpoint(
          "users/refresh_ssh_key (another user)",
          (caller, fx) -> {
            Fixture.User target = fx.targetUser();
            String oldKey = fx.user(target.name()).getString("ssh_public_key");
            return new Request(
                "/api/users/refresh_ssh_key",
                usernameBody(target.name()),
                null,
                target.name(),
                (c, reply) -> {
                  assertEquals(target.name(), reply.object().getString("username"));
                  assertNotEquals(oldKey, reply.object().getString("ssh_public_key"));
                });
          });

  static final Endpoint REFRESH_TOKEN_SELF =
      endpoint(
          "users/refresh_token (self)",
          (caller, fx) -> {
            String target = fx.nameOr(caller, "admin");
            return new Request(
                "/api/users/refresh_token",
                usernameBody(target),
                null,
                target,
                (c, reply) -> {
                  String old = fx.tokens.get(c);
                  String fresh = token(reply);
                  assertNotEquals(old, fresh);
                  fx.tokens.put(c, fresh);
                  assertEquals(403, fx.api.post("/api/users/get_my_user", old, null).status());
                  assertEquals(200, fx.api.post("/api/users/get_my_user", fresh, null).status());
                });
          });

  static final Endpoint REFRESH_TOKEN_OTHER =
      endpoint(
          "users/refresh_token (another user)",
          (caller, fx) -> {
            Fixture.User target = fx.targetUser();
            return new Request(
                "/api/users/refresh_token",
                usernameBody(target.name()),
                null,
                target.name(),
                (c, reply) -> {
                  assertEquals(target.name(), reply.object().getString("username"));
                  assertNotEquals(target.token(), token(reply));
                  assertEquals(
                      403, fx.api.post("/api/users/get_my_user", target.token(), null).status());
                });
          });

  static final Endpoint USERS_DELETE =
      endpoint(
          "users/delete",
          (caller, fx) -> {
            String target = fx.targetUser().name();
            return new Request(
                "/api/users/delete",
                "{\"users\":[\"" + target + "\"]}",
                null,
                target,
                (c, reply) -> {
                  assertEquals("null", reply.text());
                  assertEquals(
                      400, fx.api.post("/api/users/get_user", usernameBody(target)).status());
                });
          });

  static final Endpoint PUBLIC_KEYS_LIST =
      endpoint(
          "users/public_keys/list",
          (caller, fx) ->
              request(
                  "/api/users/public_keys/list",
                  null,
                  (c, reply) ->
                      assertEquals(JsonValue.ValueType.ARRAY, reply.json().getValueType())));

  static final Endpoint PUBLIC_KEYS_ADD =
      endpoint(
          "users/public_keys/add",
          (caller, fx) -> {
            String name = Api.uniqueName("key");
            return request(
                "/api/users/public_keys/add",
                "{\"key\":\"" + randomEd25519Key() + "\",\"name\":\"" + name + "\"}",
                (c, reply) -> {
                  assertEquals(name, reply.object().getString("name"));
                  assertEquals("ssh-ed25519", reply.object().getString("type"));
                  String id = reply.object().getString("id");
                  Api.Reply listed =
                      fx.api.post("/api/users/public_keys/list", fx.tokens.get(c), null);
                  assertTrue(listed.text().contains(id), "the caller's own list shows the key");
                });
          });

  static final Endpoint PUBLIC_KEYS_DELETE =
      endpoint(
          "users/public_keys/delete",
          (caller, fx) ->
              request(
                  "/api/users/public_keys/delete",
                  "{\"ids\":[\"" + UUID.randomUUID() + "\"]}",
                  (c, reply) -> assertEquals("null", reply.text())));

  static final Endpoint PROJECTS_LIST =
      endpoint(
          "projects/list",
          (caller, fx) ->
              request(
                  "/api/projects/list",
                  null,
                  (c, reply) -> {
                    List<String> names = projectNames(reply.json().asJsonArray());
                    boolean sees = c.member() || c == Caller.GLOBAL_ADMIN;
                    assertEquals(sees, names.contains(fx.project), names::toString);
                    assertTrue(names.contains(fx.publicProject), "public projects are listed");
                  }));

  static final Endpoint PROJECTS_LIST_ONLY_NO_FLEETS =
      endpoint(
          "projects/list_only_no_fleets",
          (caller, fx) ->
              request(
                  "/api/projects/list_only_no_fleets",
                  null,
                  (c, reply) -> {
                    List<String> names = projectNames(reply.json().asJsonArray());
                    // membership is required, even of global admins and for public projects
                    assertEquals(c.member(), names.contains(fx.project), names::toString);
                    assertEquals(c.member(), names.contains(fx.publicProject), names::toString);
                  }));

  static final Endpoint PROJECTS_CREATE =
      endpoint(
          "projects/create",
          (caller, fx) -> {
            String name = Api.uniqueName("perm-created");
            return new Request(
                "/api/projects/create",
                "{\"project_name\":\"" + name + "\"}",
                null,
                null,
                (c, reply) -> {
                  assertEquals(name, reply.object().getString("project_name"));
                  assertEquals(
                      fx.names.get(c), reply.object().getJsonObject("owner").getString("username"));
                  assertEquals(
                      Map.of(fx.names.get(c), "admin"),
                      members(reply.object()),
                      "creator is admin");
                });
          });

  static final Endpoint PROJECTS_DELETE =
      endpoint(
          "projects/delete",
          (caller, fx) -> {
            String project = fx.targetProject(false);
            return new Request(
                "/api/projects/delete",
                "{\"projects_names\":[\"" + project + "\"]}",
                project,
                null,
                (c, reply) -> {
                  assertEquals("null", reply.text());
                  assertEquals(
                      404, fx.api.post("/api/projects/" + project + "/get", null).status());
                });
          });

  static final Endpoint PROJECT_GET =
      endpoint(
          "projects/{p}/get",
          (caller, fx) ->
              request(
                  "/api/projects/" + fx.project + "/get",
                  null,
                  (c, reply) -> {
                    assertEquals(fx.project, reply.object().getString("project_name"));
                    assertEquals(fx.roles(), members(reply.object()));
                  }));

  static final Endpoint PROJECT_GET_IN_CAPITALS =
      endpoint(
          "projects/{P}/get (name in capitals: projects are looked up case-insensitively)",
          (caller, fx) ->
              request(
                  "/api/projects/" + fx.project.toUpperCase(Locale.ROOT) + "/get",
                  null,
                  (c, reply) ->
                      assertEquals(fx.project, reply.object().getString("project_name"))));

  static final Endpoint PUBLIC_PROJECT_GET =
      endpoint(
          "projects/{p}/get (public project)",
          (caller, fx) ->
              request(
                  "/api/projects/" + fx.publicProject + "/get",
                  null,
                  (c, reply) -> {
                    assertEquals(fx.publicProject, reply.object().getString("project_name"));
                    assertTrue(reply.object().getBoolean("is_public"));
                  }));

  static final Endpoint SET_MEMBERS =
      endpoint(
          "projects/{p}/set_members",
          (caller, fx) -> {
            String project = fx.targetProject(false);
            String extra = fx.targetUser().name();
            Map<String, String> wanted = new HashMap<>(fx.roles());
            wanted.put(extra, "user");
            return new Request(
                "/api/projects/" + project + "/set_members",
                membersBody(
                    fx.names.get(Caller.PROJECT_ADMIN),
                    "admin",
                    fx.names.get(Caller.MANAGER),
                    "manager",
                    fx.names.get(Caller.MEMBER),
                    "user",
                    extra,
                    "user"),
                project,
                extra,
                (c, reply) -> assertEquals(wanted, members(reply.object())));
          });

  static final Endpoint ADD_MEMBERS =
      endpoint(
          "projects/{p}/add_members",
          (caller, fx) -> {
            String project = fx.targetProject(false);
            String extra = fx.targetUser().name();
            Map<String, String> wanted = new HashMap<>(fx.roles());
            wanted.put(extra, "user");
            return new Request(
                "/api/projects/" + project + "/add_members",
                membersBody(extra, "user"),
                project,
                extra,
                (c, reply) -> assertEquals(wanted, members(reply.object())));
          });

  static final Endpoint ADD_SELF_TO_PUBLIC_PROJECT =
      endpoint(
          "projects/{p}/add_members (caller joins a public project as user)",
          "Access denied: insufficient permissions to add members",
          (caller, fx) -> {
            String project = fx.targetProject(true);
            String self = fx.nameOr(caller, "admin");
            return new Request(
                "/api/projects/" + project + "/add_members",
                membersBody(self, "user"),
                project,
                null,
                (c, reply) -> assertEquals("user", members(reply.object()).get(self)));
          });

  static final Endpoint REMOVE_MEMBERS =
      endpoint(
          "projects/{p}/remove_members",
          "Access denied: insufficient permissions to remove members",
          (caller, fx) -> {
            String extra = fx.targetUser().name();
            String project = fx.targetProject(false, extra);
            return new Request(
                "/api/projects/" + project + "/remove_members",
                "{\"usernames\":[\"" + extra + "\"]}",
                project,
                extra,
                (c, reply) -> assertEquals(fx.roles(), members(reply.object())));
          });

  static final Endpoint PROJECT_UPDATE =
      endpoint(
          "projects/{p}/update",
          (caller, fx) -> {
            String project = fx.targetProject(false);
            return new Request(
                "/api/projects/" + project + "/update",
                "{\"is_public\":true}",
                project,
                null,
                (c, reply) -> assertTrue(reply.object().getBoolean("is_public")));
          });

  static final Endpoint UNKNOWN_PROJECT_GET = unknownProject("get", null);
  static final Endpoint UNKNOWN_PROJECT_SET_MEMBERS =
      unknownProject("set_members", "{\"members\":[]}");
  static final Endpoint UNKNOWN_PROJECT_ADD_MEMBERS =
      unknownProject("add_members", "{\"members\":[]}");
  static final Endpoint UNKNOWN_PROJECT_REMOVE_MEMBERS =
      unknownProject("remove_members", "{\"usernames\":[]}");
  static final Endpoint UNKNOWN_PROJECT_UPDATE = unknownProject("update", "{}");

  /** Managers pass the role check, then upstream's secrets rule refuses them by default. */
  static final Endpoint SECRETS_LIST =
      endpoint(
          "project/{p}/secrets/list",
          (caller, fx) ->
              request(
                  "/api/project/" + fx.project + "/secrets/list",
                  null,
                  (c, reply) -> assertTrue(reply.json() instanceof JsonArray, reply.text())));

  static final Endpoint BACKENDS_DELETE_NONE =
      endpoint(
          "project/{p}/backends/delete",
          (caller, fx) ->
              request(
                  "/api/project/" + fx.project + "/backends/delete",
                  "{\"backends_names\":[]}",
                  (c, reply) -> assertEquals("null", reply.text())));

  private static Endpoint unknownProject(String action, String body) {
    return endpoint(
        "projects/{unknown}/" + action,
        (caller, fx) ->
            request(
                "/api/projects/" + Api.uniqueName("nowhere") + "/" + action,
                body,
                (c, reply) -> {
                  throw new AssertionError("an unknown project never answers 200");
                }));
  }

  // --------------------------------------------------------------------------- table helpers

  private static Stream<Arguments> row(String outcomes, Endpoint endpoint) {
    String[] cells = outcomes.trim().split("\\s+");
    Caller[] callers = Caller.values();
    assertEquals(callers.length, cells.length, () -> "one outcome per caller: " + endpoint);
    return IntStream.range(0, callers.length)
        .mapToObj(i -> Arguments.of(endpoint, callers[i], outcome(cells[i], endpoint)));
  }

  private static Expect outcome(String cell, Endpoint endpoint) {
    return switch (cell) {
      case "ok" -> OK;
      case "401" -> UNAUTHENTICATED;
      case "inv" -> INVALID_TOKEN;
      case "deny" -> DENIED;
      case "forb" -> forbidden(endpoint.forbidden());
      case "404" -> PROJECT_NOT_FOUND;
      case "nf" -> USER_NOT_FOUND;
      default -> throw new IllegalArgumentException("unknown outcome " + cell);
    };
  }

  private static Endpoint endpoint(String name, BiFunction<Caller, Fixture, Request> prepare) {
    return endpoint(name, "Access denied", prepare);
  }

  private static Endpoint endpoint(
      String name, String forbidden, BiFunction<Caller, Fixture, Request> prepare) {
    return new Endpoint(name, forbidden, prepare);
  }

  private static Request request(
      String path, String body, BiConsumer<Caller, Api.Reply> onSuccess) {
    return new Request(path, body, null, null, onSuccess);
  }

  static String usernameBody(String username) {
    return "{\"username\":\"" + username + "\"}";
  }

  static String membersBody(String... nameRolePairs) {
    List<String> items = new ArrayList<>();
    for (int i = 0; i < nameRolePairs.length; i += 2) {
      items.add(
          "{\"username\":\""
              + nameRolePairs[i]
              + "\",\"project_role\":\""
              + nameRolePairs[i + 1]
              + "\"}");
    }
    return "{\"members\":[" + String.join(",", items) + "]}";
  }

  static String token(Api.Reply reply) {
    return reply.object().getJsonObject("creds").getString("token");
  }

  static List<String> usernames(JsonArray users) {
    return users.stream().map(u -> u.asJsonObject().getString("username")).toList();
  }

  static List<String> projectNames(JsonArray projects) {
    return projects.stream().map(p -> p.asJsonObject().getString("project_name")).toList();
  }

  /** username → project role of a full project. */
  static Map<String, String> members(JsonObject project) {
    Map<String, String> roles = new HashMap<>();
    for (JsonValue m : project.getJsonArray("members")) {
      roles.put(
          m.asJsonObject().getJsonObject("user").getString("username"),
          m.asJsonObject().getString("project_role"));
    }
    return roles;
  }

  /** A well-formed OpenSSH ed25519 public key line nobody has uploaded before. */
  static String randomEd25519Key() {
    byte[] type = "ssh-ed25519".getBytes(StandardCharsets.US_ASCII);
    byte[] point = new byte[32];
    new SecureRandom().nextBytes(point);
    java.nio.ByteBuffer blob = java.nio.ByteBuffer.allocate(8 + type.length + point.length);
    blob.putInt(type.length).put(type).putInt(point.length).put(point);
    return "ssh-ed25519 " + Base64.getEncoder().encodeToString(blob.array());
  }

  // -------------------------------------------------------------------------------- fixture

  /**
   * Users of each kind and private projects in which they hold one role each. The bootstrap admin
   * creates the projects (no quota) and then leaves them, so the global-admin caller is a separate
   * user who is a member of nothing.
   */
  static final class Fixture {
    record User(String name, String token) {}

    final Api api;
    final Map<Caller, String> names = new EnumMap<>(Caller.class);
    final Map<Caller, String> tokens = new EnumMap<>(Caller.class);
    final String bystander;
    final String project;
    final String publicProject;
    private final Map<String, User> spareUsers = new HashMap<>();
    private final Map<String, String> spareProjects = new HashMap<>();

    /** Set per row: whether {@link #targetUser()} and {@link #targetProject} must be new. */
    boolean freshTargets = true;

    Fixture(Api api) {
      this.api = api;
      for (Caller caller : Caller.values()) {
        if (caller.authenticated()) {
          String role = caller == Caller.GLOBAL_ADMIN ? "admin" : "user";
          String name = Api.uniqueName("perm-" + caller.name().toLowerCase().replace('_', '-'));
          names.put(caller, name);
          tokens.put(caller, api.createUser(name, role));
        }
      }
      bystander = newUser().name();
      project = newProject(false);
      publicProject = newProject(true);
    }

    /**
     * A user or project for a row to act on. A row that expects 200 changes it, so it gets a new
     * one; refused rows share spares, since every refused row checks it changed nothing. (Creating
     * a user or project generates an RSA key on the server: sharing keeps the matrix fast.)
     */
    User targetUser() {
      return freshTargets ? newUser() : spareUsers.computeIfAbsent("user", k -> newUser());
    }

    String targetProject(boolean isPublic, String... extraUsers) {
      String key = isPublic + ":" + String.join(",", extraUsers);
      return freshTargets
          ? newProject(isPublic, extraUsers)
          : spareProjects.computeIfAbsent(key, k -> newProject(isPublic, extraUsers));
    }

    User newUser() {
      String name = Api.uniqueName("perm-target");
      return new User(name, api.createUser(name, "user"));
    }

    /** A project whose members are exactly {@link #roles()} plus {@code extraUsers} as users. */
    String newProject(boolean isPublic, String... extraUsers) {
      String name = Api.uniqueName("perm");
      Api.Reply created =
          api.post(
              "/api/projects/create",
              "{\"project_name\":\"" + name + "\",\"is_public\":" + isPublic + "}");
      assertEquals(200, created.status(), created::text);
      List<String> pairs =
          new ArrayList<>(
              List.of(
                  names.get(Caller.PROJECT_ADMIN), "admin",
                  names.get(Caller.MANAGER), "manager",
                  names.get(Caller.MEMBER), "user"));
      Arrays.stream(extraUsers).forEach(u -> pairs.addAll(List.of(u, "user")));
      Api.Reply set =
          api.post(
              "/api/projects/" + name + "/set_members", membersBody(pairs.toArray(String[]::new)));
      assertEquals(200, set.status(), set::text);
      return name;
    }

    Map<String, String> roles() {
      return Map.of(
          names.get(Caller.PROJECT_ADMIN), "admin",
          names.get(Caller.MANAGER), "manager",
          names.get(Caller.MEMBER), "user");
    }

    String nameOr(Caller caller, String fallback) {
      return names.getOrDefault(caller, fallback);
    }

    JsonObject user(String name) {
      Api.Reply reply = api.post("/api/users/get_user", usernameBody(name));
      assertEquals(200, reply.status(), reply::text);
      return reply.object();
    }

    Api.Reply call(Caller caller, String path, String body) {
      return call(caller, path, body, V);
    }

    /** A POST as {@code caller}; {@code version} null sends no X-API-VERSION header. */
    Api.Reply call(Caller caller, String path, String body, String version) {
      Map<String, String> headers = new HashMap<>();
      if (version != null) {
        headers.put("X-API-VERSION", version);
      }
      switch (caller) {
        case NO_TOKEN -> {}
        case NON_BEARER ->
            headers.put(
                "Authorization",
                "Basic "
                    + Base64.getEncoder()
                        .encodeToString(
                            ("admin:" + api.adminToken()).getBytes(StandardCharsets.UTF_8)));
        case BAD_TOKEN -> headers.put("Authorization", "Bearer " + UUID.randomUUID());
        default -> headers.put("Authorization", "Bearer " + tokens.get(caller));
      }
      return api.send("POST", path, null, body, headers);
    }

    /**
     * What the bootstrap admin sees of the database: how many users and projects there are and the
     * newest of them, the row's target project (with members) and target user, and the fixture's
     * users (with tokens and keys).
     */
    String snapshot(Request request) {
      StringBuilder state = new StringBuilder();
      String newest = "{\"return_total_count\":true,\"limit\":20}";
      state.append(api.post("/api/users/list", newest).text());
      state.append(api.post("/api/projects/list", newest).text());
      if (request.targetProject() != null) {
        state.append(api.post("/api/projects/" + request.targetProject() + "/get", null).text());
      }
      if (request.targetUser() != null) {
        state.append(api.post("/api/users/get_user", usernameBody(request.targetUser())).text());
      }
      for (String name : names.values()) {
        state.append(api.post("/api/users/get_user", usernameBody(name)).text());
      }
      return state.toString();
    }
  }
}
