package ai.dstack.server.it;

import static ai.dstack.server.it.Expect.accessDenied;
import static ai.dstack.server.it.Expect.assertBody;
import static ai.dstack.server.it.Expect.body;
import static ai.dstack.server.it.Expect.clientError;
import static ai.dstack.server.it.Expect.error;
import static ai.dstack.server.it.Expect.object;
import static ai.dstack.server.it.Expect.ok;
import static ai.dstack.server.it.Expect.okArray;
import static ai.dstack.server.it.Expect.okNull;
import static ai.dstack.server.it.Expect.parse;
import static ai.dstack.server.it.Expect.projectNotFound;
import static ai.dstack.server.it.Expect.resourceNotExists;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.JsonArray;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** /api/project/{p}/repos/* as the 0.20.29 CLI calls them (API.md §2.6, §5.3). */
@ExtendWith(SharedServer.class)
class ReposApiIT {
  private static final String VIRTUAL_INIT =
      "{\"repo_id\":\"none\",\"repo_info\":{\"repo_type\":\"virtual\"},\"repo_creds\":null}";

  private static String path(String project, String action) {
    return "/api/project/" + project + "/repos/" + action;
  }

  private static String remoteInit(String repoId, String repoName, String creds) {
    return "{\"repo_id\":\""
        + repoId
        + "\",\"repo_info\":{\"repo_type\":\"remote\",\"repo_name\":\""
        + repoName
        + "\"},\"repo_creds\":"
        + creds
        + "}";
  }

  static String sha256(byte[] content) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
  }

  private static String projectWithMember(Api api, String member) {
    String project = Api.uniqueName("repos");
    ok(api.createProject(api.adminToken(), project));
    ok(
        api.post(
            "/api/projects/" + project + "/add_members",
            body("members", List.of(Expect.member(member, "user")))));
    return project;
  }

  private static List<String> column(DstackServer server, String sql, String param)
      throws Exception {
    List<String> values = new ArrayList<>();
    try (Connection db = DriverManager.getConnection(server.jdbcUrl());
        PreparedStatement query = db.prepareStatement(sql)) {
      query.setObject(1, uuidColumns(server) ? uuidOrText(param) : param);
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          values.add(rows.getString(1));
        }
      }
    }
    return values;
  }

  private static boolean uuidColumns(DstackServer server) {
    return server.jdbcUrl().startsWith("jdbc:postgresql");
  }

  /** PostgreSQL compares uuid columns only with uuid values. */
  private static Object uuidOrText(String param) {
    try {
      return UUID.fromString(param);
    } catch (IllegalArgumentException e) {
      return param;
    }
  }

  @Test
  void membersInitListAndGetReposWithTheirOwnCredsOnly(Api api, DstackServer server)
      throws Exception {
    String member = Api.uniqueName("repo-user");
    String token = api.createUser(member, "user");
    String p = projectWithMember(api, member);
    String repoId = "hello-2v3ceb39";
    String creds =
        "{\"clone_url\":\"https://github.com/acme/hello.git\",\"private_key\":null,"
            + "\"oauth_token\":\"gho_s3cr3t\"}";

    okNull(api.post(path(p, "init"), token, VIRTUAL_INIT));
    okNull(api.post(path(p, "init"), token, remoteInit(repoId, "hello", creds)));

    assertEquals(
        parse(
            "[{\"repo_id\":\"none\",\"repo_info\":{\"repo_type\":\"virtual\"}},"
                + "{\"repo_id\":\""
                + repoId
                + "\",\"repo_info\":{\"repo_type\":\"remote\",\"repo_name\":\"hello\"}}]"),
        okArray(api.post(path(p, "list"), token, null)));

    String head =
        "\"repo_id\":\""
            + repoId
            + "\",\"repo_info\":{\"repo_type\":\"remote\",\"repo_name\":\"hello\"}";
    assertEquals(
        parse("{" + head + ",\"repo_creds\":null}"),
        ok(api.post(path(p, "get"), token, body("repo_id", repoId, "include_creds", false))));
    assertEquals(
        parse("{" + head + ",\"repo_creds\":" + creds + "}"),
        ok(api.post(path(p, "get"), token, body("repo_id", repoId, "include_creds", true))));
    assertEquals(
        parse("{" + head + ",\"repo_creds\":null}"),
        ok(api.post(path(p, "get"), body("repo_id", repoId, "include_creds", true))),
        "the admin stored no creds and never sees the member's");
    assertEquals(
        parse(
            "{\"repo_id\":\"none\",\"repo_info\":{\"repo_type\":\"virtual\"},"
                + "\"repo_creds\":null}"),
        ok(api.post(path(p, "get"), token, body("repo_id", "none", "include_creds", true))));
    resourceNotExists(
        api.post(path(p, "get"), token, body("repo_id", "nope", "include_creds", true)));

    String sql =
        "SELECT c.creds FROM repo_creds c JOIN repos r ON r.id = c.repo_id WHERE r.name = ?";
    List<String> stored = column(server, sql, repoId);
    assertEquals(1, stored.size());
    // the shared server has no key configured: the identity key's format, not the bare JSON
    assertTrue(stored.get(0).startsWith("enc:"), stored.get(0));

    // re-init: the info is replaced; without creds the caller's stored creds are removed
    okNull(api.post(path(p, "init"), token, remoteInit(repoId, "hello2", "null")));
    assertEquals(
        parse(
            "{\"repo_id\":\""
                + repoId
                + "\",\"repo_info\":{\"repo_type\":\"remote\",\"repo_name\":\"hello2\"},"
                + "\"repo_creds\":null}"),
        ok(api.post(path(p, "get"), token, body("repo_id", repoId, "include_creds", true))));
    assertEquals(List.of(), column(server, sql, repoId));
    assertEquals(2, okArray(api.post(path(p, "list"), null)).size(), "no new repo");
  }

  @Test
  void deleteRemovesTheNamedReposWithTheirCredsAndCode(Api api, DstackServer server)
      throws Exception {
    String member = Api.uniqueName("repo-del");
    String token = api.createUser(member, "user");
    String p = projectWithMember(api, member);
    okNull(api.post(path(p, "init"), token, VIRTUAL_INIT));
    okNull(
        api.post(
            path(p, "init"),
            token,
            remoteInit("gone", "gone", "{\"clone_url\":\"git@github.com:a/gone.git\"}")));
    byte[] code = "diff --git a/x b/x\n".getBytes(StandardCharsets.UTF_8);
    okNull(api.upload(path(p, "upload_code?repo_id=gone"), token, sha256(code), code));
    String repoRowId = column(server, "SELECT id FROM repos WHERE name = ?", "gone").get(0);

    okNull(api.post(path(p, "delete"), token, body("repos_ids", List.of("gone", "unknown"))));
    assertEquals(
        parse("[{\"repo_id\":\"none\",\"repo_info\":{\"repo_type\":\"virtual\"}}]"),
        okArray(api.post(path(p, "list"), token, null)));
    assertEquals(
        List.of(), column(server, "SELECT id FROM repo_creds WHERE repo_id = ?", repoRowId));
    assertEquals(List.of(), column(server, "SELECT id FROM codes WHERE repo_id = ?", repoRowId));
    okNull(api.post(path(p, "delete"), token, body("repos_ids", List.of())));
  }

  @Test
  void codeUploadsAreStoredOncePerHashAndNeedAnInitialisedRepo(Api api, DstackServer server)
      throws Exception {
    String p = Api.uniqueName("code");
    ok(api.createProject(api.adminToken(), p));
    okNull(api.post(path(p, "init"), VIRTUAL_INIT));
    byte[] code = new byte[70_000];
    for (int i = 0; i < code.length; i++) {
      code[i] = (byte) (i * 31);
    }
    String hash = sha256(code);
    okNull(api.upload(path(p, "upload_code?repo_id=none"), api.adminToken(), hash, code));
    okNull(api.upload(path(p, "upload_code?repo_id=none"), api.adminToken(), hash, code));
    try (Connection db = DriverManager.getConnection(server.jdbcUrl());
        PreparedStatement query =
            db.prepareStatement(
                "SELECT c.blob FROM codes c JOIN repos r ON r.id = c.repo_id"
                    + " JOIN projects p ON p.id = r.project_id WHERE p.name = ? AND c.blob_hash = ?")) {
      query.setString(1, p);
      query.setString(2, hash);
      try (ResultSet rows = query.executeQuery()) {
        assertTrue(rows.next());
        assertArrayEquals(code, rows.getBytes(1));
        assertFalse(rows.next(), "stored once");
      }
    }

    clientError(
        api.upload(path(p, "upload_code?repo_id=nope"), api.adminToken(), hash, code),
        "repo_does_not_exist",
        "Repo nope does not exist");

    byte[] big = new byte[2 * 1024 * 1024];
    String boundary = "0123456789abcdef0123456789abcdef";
    byte[] body = Api.multipart(boundary, "file", sha256(big), big);
    error(
        api.sendBytes(
            path(p, "upload_code?repo_id=none"),
            api.adminToken(),
            body,
            "multipart/form-data; boundary=" + boundary),
        "Repo diff size is "
            + body.length
            + "B, which exceeds the limit of 2097152B. Use .gitignore to exclude large files"
            + " from the repo. This limit can be modified by setting the"
            + " DSTACK_SERVER_CODE_UPLOAD_LIMIT environment variable.");
  }

  @Test
  void badUploadsGetFastApisAnswers(Api api) {
    String p = Api.uniqueName("badup");
    ok(api.createProject(api.adminToken(), p));
    okNull(api.post(path(p, "init"), VIRTUAL_INIT));
    String token = api.adminToken();
    byte[] content = "x".getBytes(StandardCharsets.UTF_8);

    assertBody(
        api.upload(path(p, "upload_code"), token, "h", content),
        422,
        parse(
            "{\"detail\":[{\"loc\":[\"query\",\"repo_id\"],\"msg\":\"field required\","
                + "\"type\":\"value_error.missing\"}]}"));
    assertBody(
        api.post(path(p, "upload_code"), token, "{\"file\":\"x\"}"),
        422,
        parse(
            "{\"detail\":[{\"loc\":[\"query\",\"repo_id\"],\"msg\":\"field required\","
                + "\"type\":\"value_error.missing\"},{\"loc\":[\"body\",\"file\"],"
                + "\"msg\":\"field required\",\"type\":\"value_error.missing\"}]}"));
    String boundary = "b0b0b0";
    assertBody(
        api.sendBytes(
            path(p, "upload_code?repo_id=none"),
            token,
            Api.multipart(boundary, "file", null, content),
            "multipart/form-data; boundary=" + boundary),
        422,
        parse(
            "{\"detail\":[{\"loc\":[\"body\",\"file\"],"
                + "\"msg\":\"Expected UploadFile, received: <class 'str'>\","
                + "\"type\":\"value_error\"}]}"));
    assertBody(
        api.sendBytes(path(p, "upload_code?repo_id=none"), token, content, "multipart/form-data"),
        400,
        object("detail", "There was an error parsing the body"));
  }

  @Test
  void onlyMembersOfExistingProjectsUseRepos(Api api) {
    String outsider = Api.uniqueName("outsider");
    String token = api.createUser(outsider, "user");
    String p = Api.uniqueName("private");
    ok(api.createProject(api.adminToken(), p));
    okNull(api.post(path(p, "init"), VIRTUAL_INIT));
    accessDenied(api.post(path(p, "list"), token, null));
    accessDenied(api.post(path(p, "get"), token, body("repo_id", "none", "include_creds", true)));
    accessDenied(api.post(path(p, "init"), token, VIRTUAL_INIT));
    accessDenied(api.post(path(p, "delete"), token, body("repos_ids", List.of("none"))));
    accessDenied(api.upload(path(p, "upload_code?repo_id=none"), token, "h", new byte[1]));
    assertEquals(1, okArray(api.post(path(p, "list"), null)).size(), "nothing deleted");
    projectNotFound(api.post(path("no-such-project-x", "list"), token, null));
    projectNotFound(
        api.upload(path("no-such-project-x", "upload_code?repo_id=none"), token, "h", new byte[1]));
  }

  @Test
  void malformedBodiesGetUpstreams422(Api api) {
    String p = Api.uniqueName("bad");
    ok(api.createProject(api.adminToken(), p));
    assertBody(
        api.post(path(p, "get"), null),
        422,
        parse(
            "{\"detail\":[{\"loc\":[\"body\"],\"msg\":\"field required\","
                + "\"type\":\"value_error.missing\"}]}"));
    assertBody(
        api.post(path(p, "get"), body("repo_id", "none")),
        422,
        parse(
            "{\"detail\":[{\"loc\":[\"body\",\"include_creds\"],\"msg\":\"field required\","
                + "\"type\":\"value_error.missing\"}]}"));
    assertBody(
        api.post(path(p, "init"), body("repo_info", object("repo_type", "virtual"))),
        422,
        parse(
            "{\"detail\":[{\"loc\":[\"body\",\"repo_id\"],\"msg\":\"field required\","
                + "\"type\":\"value_error.missing\"}]}"));
    JsonArray detail =
        api.post(path(p, "init"), "{\"repo_id\":\"r\",\"repo_info\":{\"repo_type\":\"git\"}}")
            .object()
            .getJsonArray("detail");
    assertEquals(3, detail.size(), "one problem per variant: remote, local, virtual: " + detail);
    assertEquals("unexpected value; permitted: 'remote'", detail.getJsonObject(0).getString("msg"));
    assertBody(
        api.post(
            path(p, "init"),
            "{\"repo_id\":\"r\",\"repo_info\":{\"repo_name\":\"r\"},\"repo_creds\":{}}"),
        422,
        parse(
            "{\"detail\":[{\"loc\":[\"body\",\"repo_creds\",\"clone_url\"],"
                + "\"msg\":\"field required\",\"type\":\"value_error.missing\"}]}"));
    assertBody(
        api.post(path(p, "delete"), body("repos_ids", "none")),
        422,
        parse(
            "{\"detail\":[{\"loc\":[\"body\",\"repos_ids\"],\"msg\":\"value is not a valid list\","
                + "\"type\":\"type_error.list\"}]}"));
    assertEquals(0, okArray(api.post(path(p, "list"), null)).size(), "nothing was created");
  }
}
