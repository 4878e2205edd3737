package ai.dstack.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Requests the CLI never sends, answered as upstream (FastAPI + pydantic v1) answers them (API.md
 * §1.4, §1.6, §1.9; fact sheet §0); a rejected request never changes the database.
 *
 * <p>Bodies in the tables are written with {@code '} for {@code "}. {@code {p}} is a project the
 * admin owns, {@code {member}} its one other member.
 */
@ExtendWith(SharedServer.class)
class BadInputIT {
  private static final String JSON = "application/json";
  private static final String JSON_INVALID = "json_invalid";

  // pydantic v1 problems ("msg" and "type", plus "ctx" where pydantic gives one)
  private static final String MISSING = "'msg':'field required','type':'value_error.missing'";
  private static final String NOT_DICT =
      "'msg':'value is not a valid dict','type':'type_error.dict'";
  private static final String NOT_STR = "'msg':'str type expected','type':'type_error.str'";
  private static final String NOT_LIST =
      "'msg':'value is not a valid list','type':'type_error.list'";
  private static final String NOT_BOOL =
      "'msg':'value could not be parsed to a boolean','type':'type_error.bool'";
  private static final String NOT_INT =
      "'msg':'value is not a valid integer','type':'type_error.integer'";
  private static final String NOT_UUID =
      "'msg':'value is not a valid uuid','type':'type_error.uuid'";
  private static final String NOT_DATETIME =
      "'msg':'invalid datetime format','type':'value_error.datetime'";
  private static final String NONE =
      "'msg':'none is not an allowed value','type':'type_error.none.not_allowed'";
  private static final String GLOBAL_ROLE =
      "'msg':'value is not a valid enumeration member; permitted: ''admin'', ''user''',"
          + "'type':'type_error.enum','ctx':{'enum_values':['admin','user']}";
  private static final String PROJECT_ROLE =
      "'msg':'value is not a valid enumeration member; permitted: ''admin'', ''manager'', ''user''',"
          + "'type':'type_error.enum','ctx':{'enum_values':['admin','manager','user']}";
  private static final String NAME_PATTERN =
      "'msg':'string does not match regex \\'^[a-zA-Z0-9-_]*$\\'',"
          + "'type':'value_error.str.regex','ctx':{'pattern':'^[a-zA-Z0-9-_]*$'}";
  private static final String LE_2000 =
      "'msg':'ensure this value is less than or equal to 2000',"
          + "'type':'value_error.number.not_le','ctx':{'limit_value':2000}";
  private static final String GE_0 =
      "'msg':'ensure this value is greater than or equal to 0',"
          + "'type':'value_error.number.not_ge','ctx':{'limit_value':0}";

  // service errors (400 list of one {msg, code}), 404s and 405
  private static final String USERNAME_REGEX =
      error("error", "Username should match regex ''^[a-zA-Z0-9-_]{1,60}$''");
  private static final String PROJECT_NAME_REGEX =
      error("error", "Project name should match regex ''^[a-zA-Z0-9-_]{1,50}$''");
  private static final String USER_NOT_FOUND = error("resource_not_exists", "Resource not found");
  private static final String PROJECT_NOT_FOUND = "{'detail':{'msg':'Not found','code':null}}";
  private static final String ROUTE_NOT_FOUND = "{'detail':'Not Found'}";
  private static final String METHOD_NOT_ALLOWED = "{'detail':'Method Not Allowed'}";

  private static Api api;
  private static String project;
  private static String member;
  private static String memberToken;

  @BeforeAll
  static void createAProjectWithAMember(Api shared) {
    api = shared;
    member = Api.uniqueName("bad-member");
    memberToken = api.createUser(member, "user");
    project = Api.uniqueName("bad-input");
    assertEquals(200, api.createProject(api.adminToken(), project).status());
    Api.Reply added =
        api.post(
            "/api/projects/" + project + "/add_members",
            json("{'members':[{'username':'" + member + "','project_role':'user'}]}"));
    assertEquals(200, added.status(), added::text);
  }

  static Stream<Arguments> malformedJson() {
    return Stream.of(
        // 422 json_invalid, before anything else, also where the body is optional
        invalidJson("users/create", "{"),
        invalidJson("users/create", "{'username':'a',}"),
        invalidJson("projects/create", "not json"),
        invalidJson("users/delete", "{users:[1]}"),
        invalidJson("users/update", " "),
        invalidJson("users/list", "{'limit': }"),
        invalidJson("projects/list", "["),
        invalidJson("projects/{p}/set_members", "{'members':["));
  }

  static Stream<Arguments> bodyNotAnObject() {
    return Stream.of(
        schema("users/create", "[]", issue(NOT_DICT)),
        schema("users/create", "'alice'", issue(NOT_DICT)),
        schema("projects/create", "42", issue(NOT_DICT)),
        schema("users/delete", "true", issue(NOT_DICT)),
        schema("users/list", "[]", issue(NOT_DICT)),
        schema("projects/list", "'x'", issue(NOT_DICT)),
        schema("projects/{p}/update", "[{}]", issue(NOT_DICT)),
        // JSON null is no body at all
        schema("users/create", "null", issue(MISSING)),
        schema("projects/{p}/set_members", "null", issue(MISSING)),
        // a body of another content type is not parsed, so it is not a dict (even when malformed)
        request(
            "POST",
            "users/create",
            "text/plain",
            "{'username':'p','global_role':'user'}",
            422,
            validation(issue(NOT_DICT))),
        request("POST", "users/list", "text/plain", "{", 422, validation(issue(NOT_DICT))));
  }

  static Stream<Arguments> wrongTypes() {
    return Stream.of(
        schema("users/create", "{'username':{},'global_role':'user'}", issue(NOT_STR, "username")),
        schema("users/get_user", "{'username':['a']}", issue(NOT_STR, "username")),
        schema("users/refresh_token", "{'username':null}", issue(NONE, "username")),
        schema(
            "users/create",
            "{'username':'x','global_role':'user','email':{}}",
            issue(NOT_STR, "email")),
        schema(
            "users/create",
            "{'username':'x','global_role':'user','active':'maybe'}",
            issue(NOT_BOOL, "active")),
        // null is only allowed where the field is Optional, not where it merely has a default
        schema(
            "users/create",
            "{'username':'x','global_role':'user','active':null}",
            issue(NONE, "active")),
        schema(
            "projects/create",
            "{'project_name':'x','is_public':'perhaps'}",
            issue(NOT_BOOL, "is_public")),
        schema(
            "projects/create", "{'project_name':'x','is_public':null}", issue(NONE, "is_public")),
        schema("projects/{p}/update", "{'is_public':[]}", issue(NOT_BOOL, "is_public")),
        schema(
            "projects/{p}/update",
            "{'reset_templates_repo':null}",
            issue(NONE, "reset_templates_repo")),
        schema("projects/list", "{'include_not_joined':[]}", issue(NOT_BOOL, "include_not_joined")),
        schema("users/list", "{'return_total_count':null}", issue(NONE, "return_total_count")),
        schema("projects/list", "{'limit':'ten'}", issue(NOT_INT, "limit")),
        schema("users/list", "{'limit':'1.5'}", issue(NOT_INT, "limit")),
        schema("users/list", "{'limit':'1e3'}", issue(NOT_INT, "limit")),
        // a JSON float is a Python float: 1e999999999 is inf, neither an int nor a bool
        schema("users/list", "{'limit':1e999999999}", issue(NOT_INT, "limit")),
        schema(
            "projects/list",
            "{'include_not_joined':1e999999999}",
            issue(NOT_BOOL, "include_not_joined")),
        schema("users/list", "{'limit':null}", issue(NONE, "limit")),
        schema("users/delete", "{'users':'alice'}", issue(NOT_LIST, "users")),
        schema("users/delete", "{'users':['a',{}]}", issue(NOT_STR, "users", 1)),
        schema("projects/{p}/set_members", "{'members':{}}", issue(NOT_LIST, "members")),
        schema("projects/{p}/add_members", "{'members':['alice']}", issue(NOT_DICT, "members", 0)),
        schema("projects/{p}/remove_members", "{'usernames':1}", issue(NOT_LIST, "usernames")),
        schema("users/public_keys/delete", "{'ids':['nope']}", issue(NOT_UUID, "ids", 0)),
        schema(
            "users/list",
            "{'prev_created_at':'yesterday'}",
            issue(NOT_DATETIME, "prev_created_at")),
        schema("users/list", "{'prev_id':'42'}", issue(NOT_UUID, "prev_id")),
        schema(
            "projects/list",
            "{'prev_created_at':'2024-01-01T00:00:00+00:00','prev_id':'x-y'}",
            issue(NOT_UUID, "prev_id")),
        schema("users/list", "{'name_pattern':'a b'}", issue(NAME_PATTERN, "name_pattern")),
        schema("projects/list", "{'name_pattern':'%'}", issue(NAME_PATTERN, "name_pattern")));
  }

  static Stream<Arguments> missingFields() {
    return Stream.of(
        // every problem at once, in field order
        schema("users/create", "{}", issue(MISSING, "username"), issue(MISSING, "global_role")),
        schema("users/update", "{'username':'x'}", issue(MISSING, "global_role")),
        schema("projects/create", "{'is_public':true}", issue(MISSING, "project_name")),
        schema("users/delete", "{}", issue(MISSING, "users")),
        schema("projects/delete", "{}", issue(MISSING, "projects_names")),
        schema("users/public_keys/add", "{'name':'k'}", issue(MISSING, "key")),
        schema(
            "projects/{p}/set_members",
            "{'members':[{'username':'x'}]}",
            issue(MISSING, "members", 0, "project_role")),
        schema("projects/{p}/remove_members", "{}", issue(MISSING, "usernames")),
        // a required body that is not there
        schema("users/create", null, issue(MISSING)),
        schema("users/get_user", null, issue(MISSING)),
        schema("users/refresh_ssh_key", null, issue(MISSING)),
        schema("projects/create", null, issue(MISSING)),
        schema("projects/delete", null, issue(MISSING)),
        schema("projects/{p}/add_members", null, issue(MISSING)),
        schema("projects/{p}/update", null, issue(MISSING)),
        schema("users/public_keys/delete", null, issue(MISSING)),
        schema("users/update", "", issue(MISSING)));
  }

  static Stream<Arguments> badValues() {
    String longUsername = "u".repeat(61);
    String longProject = "p".repeat(51);
    return Stream.of(
        schema(
            "users/create",
            "{'username':'x','global_role':'superuser'}",
            issue(GLOBAL_ROLE, "global_role")),
        schema(
            "users/update",
            "{'username':'x','global_role':'Admin'}",
            issue(GLOBAL_ROLE, "global_role")),
        schema(
            "users/create", "{'username':'x','global_role':1}", issue(GLOBAL_ROLE, "global_role")),
        schema(
            "projects/{p}/set_members",
            "{'members':[{'username':'x','project_role':'owner'}]}",
            issue(PROJECT_ROLE, "members", 0, "project_role")),
        schema("users/list", "{'limit':2001}", issue(LE_2000, "limit")),
        schema("users/list", "{'limit':-1}", issue(GE_0, "limit")),
        schema("projects/list", "{'limit':3000000000}", issue(LE_2000, "limit")),
        schema("projects/list", "{'limit':-3000000000}", issue(GE_0, "limit")),
        // names are checked by the service: 400 with code "error"
        service(
            "users/create",
            "{'username':'" + longUsername + "','global_role':'user'}",
            400,
            USERNAME_REGEX),
        service(
            "users/create", "{'username':'bad name','global_role':'user'}", 400, USERNAME_REGEX),
        service(
            "users/create", "{\"username\":\"\",\"global_role\":\"user\"}", 400, USERNAME_REGEX),
        service("users/create", "{'username':'a/b','global_role':'admin'}", 400, USERNAME_REGEX),
        service("users/create", "{'username':'a.b','global_role':'user'}", 400, USERNAME_REGEX),
        service(
            "users/create", "{'username':'j\u00fcrgen','global_role':'user'}", 400, USERNAME_REGEX),
        service(
            "projects/create", "{'project_name':'" + longProject + "'}", 400, PROJECT_NAME_REGEX),
        service("projects/create", "{'project_name':'bad.name'}", 400, PROJECT_NAME_REGEX),
        service("projects/create", "{'project_name':'a b'}", 400, PROJECT_NAME_REGEX),
        service("projects/create", "{\"project_name\":\"\"}", 400, PROJECT_NAME_REGEX));
  }

  static Stream<Arguments> unknownThings() {
    return Stream.of(
        service("projects/nowhere-at-all-0/get", null, 404, PROJECT_NOT_FOUND),
        service("projects/nowhere-at-all-0/update", "{}", 404, PROJECT_NOT_FOUND),
        service("users/get_user", "{'username':'ghost-0'}", 400, USER_NOT_FOUND),
        // pydantic v1 turns true into 'True' and 5 into '5': no such users
        service("users/get_user", "{'username':true}", 400, USER_NOT_FOUND),
        service("users/get_user", "{'username':5}", 400, USER_NOT_FOUND),
        service("users/update", "{'username':'ghost-0','global_role':'user'}", 400, USER_NOT_FOUND),
        service("users/refresh_token", "{'username':'ghost-0'}", 400, USER_NOT_FOUND),
        service("users/refresh_ssh_key", "{'username':'ghost-0'}", 400, USER_NOT_FOUND),
        // all or nothing: the known name is not touched either
        service(
            "users/delete",
            "{'users':['{member}','ghost-0']}",
            400,
            error("error", "Failed to delete non-existent users")),
        service(
            "projects/delete",
            "{'projects_names':['{p}','ghost-0']}",
            400,
            error("error", "Failed to delete non-existent projects")),
        service(
            "projects/{p}/add_members",
            "{'members':[{'username':'{member}','project_role':'admin'},"
                + "{'username':'ghost-0','project_role':'user'}]}",
            400,
            error("error", "User not found: ghost-0")),
        service(
            "projects/{p}/remove_members",
            "{'usernames':['{member}','ghost-0']}",
            400,
            error("error", "User not found: ghost-0")));
  }

  static Stream<Arguments> routesAndMethods() {
    return Stream.of(
        service("users/nope", "{}", 404, ROUTE_NOT_FOUND),
        service("nope", null, 404, ROUTE_NOT_FOUND),
        service("projects/{p}/nope", null, 404, ROUTE_NOT_FOUND),
        service("users/list/more", null, 404, ROUTE_NOT_FOUND),
        service("users", null, 404, ROUTE_NOT_FOUND),
        // every /api route is POST only: 405 with Allow: POST, before auth
        request("GET", "users/list", null, null, 405, METHOD_NOT_ALLOWED),
        request("GET", "projects/{p}/get", null, null, 405, METHOD_NOT_ALLOWED),
        request("GET", "server/get_info", null, null, 405, METHOD_NOT_ALLOWED),
        request("PUT", "projects/create", JSON, "{'project_name':'put'}", 405, METHOD_NOT_ALLOWED),
        request("DELETE", "users/delete", null, null, 405, METHOD_NOT_ALLOWED),
        request(
            "PATCH", "projects/{p}/update", JSON, "{'is_public':true}", 405, METHOD_NOT_ALLOWED),
        request("OPTIONS", "users/list", null, null, 405, METHOD_NOT_ALLOWED),
        request("OPTIONS", "projects/{p}/get", null, null, 405, METHOD_NOT_ALLOWED));
  }

  @ParameterizedTest(name = "{0} /api/{1} [{2}] {3} -> {4}")
  @MethodSource({
    "malformedJson",
    "bodyNotAnObject",
    "wrongTypes",
    "missingFields",
    "badValues",
    "unknownThings",
    "routesAndMethods"
  })
  void rejectedRequestGetsUpstreamAnswerAndChangesNothing(
      String method, String path, String contentType, String body, int status, String answer) {
    String before = snapshot();

    Api.Reply reply = send(method, path, contentType, body, api.adminToken());

    assertEquals(status, reply.status(), reply::text);
    if (JSON_INVALID.equals(answer)) {
      PermissionMatrixIT.assertJsonInvalid(reply);
    } else {
      assertEquals(fill(json(answer)), reply.text());
    }
    assertEquals("application/json", reply.header("Content-Type"));
    if (status == 405) {
      assertEquals("POST", reply.header("Allow"));
    }
    assertEquals(before, snapshot(), "a rejected request must not change the database");
  }

  /** The CLI POSTs these without a body and without Content-Type. */
  static Stream<Arguments> bodyless() {
    return Stream.of(
        Arguments.of("users/list", null, null),
        Arguments.of("projects/list", null, null),
        Arguments.of("users/get_my_user", null, null),
        Arguments.of("projects/{p}/get", null, null),
        Arguments.of("users/public_keys/list", null, null),
        Arguments.of("projects/list_only_no_fleets", null, null),
        Arguments.of("users/list", JSON, ""),
        Arguments.of("projects/list", JSON, "null"),
        // no request model: the body is never read
        Arguments.of("users/get_my_user", JSON, "{'anything':true}"),
        Arguments.of("projects/{p}/get", JSON, "{not json"),
        Arguments.of("projects/list_only_no_fleets", "text/plain", "whatever"),
        Arguments.of("server/get_info", JSON, "["),
        Arguments.of("backends/list_types", JSON, "}"),
        Arguments.of("auth/list_providers", JSON, "nothing"));
  }

  @ParameterizedTest(name = "/api/{0} [{1}] {2}")
  @MethodSource("bodyless")
  void postWithoutAUsableBodyIsAccepted(String path, String contentType, String body) {
    Api.Reply asAdmin = send("POST", path, contentType, body, api.adminToken());
    assertEquals(200, asAdmin.status(), asAdmin::text);
    Api.Reply asMember = send("POST", path, contentType, body, memberToken);
    assertEquals(200, asMember.status(), asMember::text);
    switch (path) {
      case "users/list" ->
          assertEquals(
              List.of(member), PermissionMatrixIT.usernames(asMember.json().asJsonArray()));
      case "users/get_my_user" -> assertEquals(member, asMember.object().getString("username"));
      case "projects/{p}/get" -> assertEquals(project, asMember.object().getString("project_name"));
      case "projects/list" ->
          assertTrue(
              PermissionMatrixIT.projectNames(asMember.json().asJsonArray()).contains(project));
      case "projects/list_only_no_fleets" ->
          assertEquals(
              List.of(project), PermissionMatrixIT.projectNames(asMember.json().asJsonArray()));
      case "server/get_info" -> assertEquals("{\"server_version\":\"0.20.29\"}", asMember.text());
      case "backends/list_types" -> assertEquals(BackendsApiIT.CONFIGURABLE_TYPES, asMember.text());
      default -> assertEquals("[]", asMember.text());
    }
  }

  /**
   * pydantic v1 coerces scalars loosely; users/list as the admin (at least 2 users exist) shows the
   * value it got.
   */
  static Stream<Arguments> coerced() {
    return Stream.of(
        Arguments.of("{'limit':0}", 0, false),
        Arguments.of("{'limit':'1'}", 1, false),
        Arguments.of("{'limit':' 2 '}", 2, false),
        Arguments.of("{'limit':'+1'}", 1, false),
        Arguments.of("{'limit':1.9}", 1, false),
        Arguments.of("{'limit':2e0}", 2, false),
        Arguments.of("{'limit':true}", 1, false),
        Arguments.of("{'limit':false}", 0, false),
        Arguments.of("{'limit':1,'return_total_count':'yes'}", 1, true),
        Arguments.of("{'limit':1,'return_total_count':1}", 1, true),
        Arguments.of("{'limit':1,'return_total_count':'off'}", 1, false),
        Arguments.of("{'limit':1,'ascending':'t','name_pattern':null,'prev_id':null}", 1, false));
  }

  @ParameterizedTest(name = "users/list {0}")
  @MethodSource("coerced")
  void looseScalarsAreCoercedAsPydanticDoes(String body, int count, boolean totalCount) {
    Api.Reply reply = api.post("/api/users/list", json(body));
    assertEquals(200, reply.status(), reply::text);
    if (totalCount) {
      assertEquals(count, reply.object().getJsonArray("users").size());
      assertTrue(reply.object().getInt("total_count") >= 2, reply::text);
    } else {
      assertEquals(count, reply.json().asJsonArray().size(), reply::text);
    }
  }

  @Test
  void limitZeroStillCountsEverything() {
    Api.Reply reply = api.post("/api/projects/list", json("{'limit':0,'return_total_count':true}"));
    assertEquals(200, reply.status(), reply::text);
    assertEquals(0, reply.object().getJsonArray("projects").size());
    assertTrue(reply.object().getInt("total_count") >= 2, reply::text);
  }

  // ------------------------------------------------------------------------------ helpers

  private static Arguments request(
      String method, String path, String contentType, String body, int status, String answer) {
    return Arguments.of(method, path, contentType, body, status, answer);
  }

  private static Arguments invalidJson(String path, String body) {
    return request("POST", path, JSON, body, 422, JSON_INVALID);
  }

  private static Arguments schema(String path, String body, String... issues) {
    return request("POST", path, JSON, body, 422, validation(issues));
  }

  private static Arguments service(String path, String body, int status, String answer) {
    return request("POST", path, JSON, body, status, answer);
  }

  /** A 422 entry at {@code ["body", loc...]}. */
  private static String issue(String problem, Object... loc) {
    List<String> path = new ArrayList<>(List.of("'body'"));
    for (Object part : loc) {
      path.add(part instanceof Integer ? part.toString() : "'" + part + "'");
    }
    return "{'loc':[" + String.join(",", path) + "]," + problem + "}";
  }

  private static String validation(String... issues) {
    return "{'detail':[" + String.join(",", issues) + "]}";
  }

  private static String error(String code, String msg) {
    return "{'detail':[{'msg':'" + msg + "','code':'" + code + "'}]}";
  }

  /**
   * The tables' quoting: {@code '} is {@code "}, {@code ''} a literal {@code '}, {@code \'} an
   * escaped {@code "} inside a JSON string (so an empty JSON string is written with {@code \"}).
   */
  static String json(String text) {
    if (text == null) {
      return null;
    }
    return text.replace("\\'", "\u0001")
        .replace("''", "\u0002")
        .replace('\'', '"')
        .replace("\u0001", "\\\"")
        .replace('\u0002', '\'');
  }

  private static String fill(String text) {
    return text == null ? null : text.replace("{p}", project).replace("{member}", member);
  }

  private static Api.Reply send(
      String method, String path, String contentType, String body, String token) {
    Map<String, String> headers = new HashMap<>();
    headers.put("X-API-VERSION", "0.20.29");
    if (contentType != null) {
      headers.put("Content-Type", contentType);
    }
    return api.send(method, "/api/" + fill(path), token, fill(json(body)), headers);
  }

  /** Everything a rejected request could touch, as the admin sees it. */
  private static String snapshot() {
    return Stream.of(
            api.post("/api/users/list", "{\"return_total_count\":true}"),
            api.post("/api/projects/list", "{\"return_total_count\":true}"),
            api.post("/api/projects/" + project + "/get", null),
            api.post("/api/users/get_user", "{\"username\":\"" + member + "\"}"))
        .map(Api.Reply::text)
        .collect(Collectors.joining("\n"));
  }
}
