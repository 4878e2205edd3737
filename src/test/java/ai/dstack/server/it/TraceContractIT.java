package ai.dstack.server.it;

import static ai.dstack.server.it.Expect.body;
import static ai.dstack.server.it.Expect.ok;
import static ai.dstack.server.it.Expect.okArray;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The recorded upstream exchanges, replayed against this server: each answer must have the shape of
 * upstream's (traces/README.md). Plus shape checks for responses the traces do not contain, written
 * against the recorded {@code User} and {@code Project}.
 */
@ExtendWith(SharedServer.class)
class TraceContractIT {
  private static final Pattern SSH_RSA =
      Pattern.compile("^ssh-rsa (AAAA[A-Za-z0-9+/]+=*) (\\S+)\\n$");

  /** Paths this server implements so far; exchanges elsewhere in the traces are left out. */
  static boolean implemented(String path) {
    return path.startsWith("/api/projects/")
        || path.startsWith("/api/users/")
        || path.startsWith("/api/server/")
        || path.matches("/api/project/[^/]+/repos/.+")
        || path.startsWith("/api/files/")
        || path.matches("/api/project/[^/]+/logs/poll")
        || path.equals("/api/backends/list_types")
        || path.equals("/api/auth/list_providers");
  }

  /** Every implemented exchange of every trace file. */
  static List<Traces.Exchange> implementedExchanges() {
    return Traces.files().stream()
        .flatMap(file -> Traces.load(file).stream())
        .filter(exchange -> implemented(exchange.path()))
        .toList();
  }

  /** Re-sends a recorded request as our admin, with the recorded client version. */
  static Api.Reply replay(Api api, Traces.Exchange exchange) {
    Map<String, String> headers = new HashMap<>();
    String version = exchange.header("X-API-VERSION");
    if (version != null) {
      headers.put("X-API-VERSION", version);
    }
    return api.send(
        exchange.method(), exchange.path(), api.adminToken(), exchange.requestBody(), headers);
  }

  static void assertMatchesRecording(Api api, Traces.Exchange exchange) {
    Api.Reply reply = replay(api, exchange);
    assertEquals(exchange.status(), reply.status(), () -> exchange + " answered " + reply);
    if (exchange.responseBody() != null) {
      JsonShape.assertSameShape(exchange.responseBody(), reply.json());
      JsonShape.assertIdsAndDatetimes(reply.json());
    }
  }

  /** The project of the project-add trace: upstream's answer to {@code projects/main/get}. */
  static JsonObject recordedProject() {
    return Traces.load("project-add.jsonl").stream()
        .filter(e -> e.path().equals("/api/projects/main/get"))
        .findFirst()
        .orElseThrow()
        .responseBody()
        .asJsonObject();
  }

  /** The recorded admin {@code User}, the reference for every user the server returns. */
  static JsonObject recordedUser() {
    return recordedProject().getJsonObject("owner");
  }

  static JsonObject with(JsonObject object, String key, JsonValue value) {
    return Json.createObjectBuilder(object).add(key, value).build();
  }

  static JsonObject recordedUserWithCreds() {
    return Json.createObjectBuilder(recordedUser())
        .add(
            "creds",
            Json.createObjectBuilder().add("token", "00000000-0000-4000-8000-000000000000"))
        .add("ssh_private_key", "-----BEGIN PRIVATE KEY-----\n")
        .build();
  }

  @Test
  void theProjectAddTraceHasAReplayableExchange() {
    List<Traces.Exchange> projectAdd =
        Traces.load("project-add.jsonl").stream().filter(e -> implemented(e.path())).toList();
    assertFalse(projectAdd.isEmpty());
    assertEquals("/api/projects/main/get", projectAdd.get(0).path());
    assertTrue(implementedExchanges().size() >= 2, "project-add and event both get main");
  }

  @TestFactory
  Stream<DynamicTest> recordedUserAndProjectCallsGetAnswersOfTheRecordedShape(Api api) {
    List<Traces.Exchange> exchanges = implementedExchanges();
    assertFalse(exchanges.isEmpty(), "no replayable exchange in " + Traces.directory());
    return exchanges.stream()
        .map(e -> DynamicTest.dynamicTest(e.toString(), () -> assertMatchesRecording(api, e)));
  }

  @Test
  void aFreshProjectHasTheShapeOfTheRecordedMainProject(Api api) {
    String name = Api.uniqueName("shape");
    JsonObject created = ok(api.createProject(api.adminToken(), name));
    JsonShape.assertSameShape(recordedProject(), created);
    JsonShape.assertIdsAndDatetimes(created);
    assertEquals(name, created.getString("project_name"));

    JsonObject fetched = ok(api.post("/api/projects/" + name + "/get", null));
    JsonShape.assertSameShape(recordedProject(), fetched);
    assertEquals(created, fetched);
  }

  @Test
  void usersListIsABareArrayOfUsersByDefault(Api api) {
    String name = Api.uniqueName("shape");
    api.createUser(name, "user");
    JsonArray users = okArray(api.post("/api/users/list", body("name_pattern", name)));
    JsonObject reference = with(recordedUser(), "global_role", Json.createValue("user"));
    JsonShape.assertSameShape(Json.createArrayBuilder().add(reference).build(), users);
    JsonShape.assertIdsAndDatetimes(users);
  }

  @Test
  void usersListWithTotalCountIsAUsersInfoList(Api api) {
    String name = Api.uniqueName("shape");
    api.createUser(name, "user");
    JsonObject list =
        ok(api.post("/api/users/list", body("return_total_count", true, "name_pattern", name)));
    JsonObject reference =
        Json.createObjectBuilder()
            .add("total_count", 1)
            .add(
                "users",
                Json.createArrayBuilder()
                    .add(with(recordedUser(), "global_role", Json.createValue("user"))))
            .build();
    JsonShape.assertSameShape(reference, list);
    assertEquals(1, list.getInt("total_count"));
    assertEquals(name, list.getJsonArray("users").getJsonObject(0).getString("username"));
  }

  @Test
  void projectsListCarriesNoMembersOrBackendsAndCountsWhenAsked(Api api) {
    String name = Api.uniqueName("shape");
    ok(api.createProject(api.adminToken(), name));
    JsonObject summary = with(recordedProject(), "members", JsonValue.EMPTY_JSON_ARRAY);

    JsonArray bare = okArray(api.post("/api/projects/list", body("name_pattern", name)));
    JsonShape.assertSameShape(Json.createArrayBuilder().add(summary).build(), bare);

    JsonObject counted =
        ok(api.post("/api/projects/list", body("return_total_count", true, "name_pattern", name)));
    JsonObject reference =
        Json.createObjectBuilder()
            .add("total_count", 1)
            .add("projects", Json.createArrayBuilder().add(summary))
            .build();
    JsonShape.assertSameShape(reference, counted);
    JsonShape.assertIdsAndDatetimes(counted);
  }

  @Test
  void getMyUserCarriesTheTokenAndAMatchingRsaKeyPair(Api api) {
    JsonObject me = ok(api.post("/api/users/get_my_user", null));
    JsonShape.assertSameShape(recordedUserWithCreds(), me);
    JsonShape.assertIdsAndDatetimes(me);
    assertEquals(api.adminToken(), me.getJsonObject("creds").getString("token"));
    assertKeyPairOf("admin", me);
  }

  @Test
  void getUserGivesAnotherUserTheirOwnKeyPairCommentedWithTheirName(Api api) {
    String name = Api.uniqueName("shape");
    String token = api.createUser(name, "user");
    JsonObject user = ok(api.post("/api/users/get_user", body("username", name)));
    JsonShape.assertSameShape(
        with(recordedUserWithCreds(), "global_role", Json.createValue("user")), user);
    assertEquals(token, user.getJsonObject("creds").getString("token"));
    assertTrue(JsonShape.UUID4.matcher(token).matches(), token);
    assertKeyPairOf(name, user);

    JsonObject self = ok(api.post("/api/users/get_my_user", token, null));
    assertEquals(user, self);
  }

  @Test
  void createAndUpdateAnswerAPlainUserWithoutCreds(Api api) {
    String name = Api.uniqueName("shape");
    JsonObject created =
        ok(
            api.post(
                "/api/users/create",
                body("username", name, "global_role", "user", "email", "a@example.com")));
    JsonObject reference =
        Json.createObjectBuilder(recordedUser())
            .add("global_role", "user")
            .add("email", "a@example.com")
            .build();
    JsonShape.assertSameShape(reference, created);
    JsonShape.assertIdsAndDatetimes(created);

    JsonObject updated =
        ok(api.post("/api/users/update", body("username", name, "global_role", "admin")));
    JsonShape.assertSameShape(recordedUser(), updated);
  }

  @Test
  void publicEndpointsAnswerWithoutAToken(Api api) {
    Api.Reply providers = api.post("/api/auth/list_providers", null, null);
    assertEquals(200, providers.status());
    assertEquals(JsonValue.EMPTY_JSON_ARRAY, providers.json());

    Api.Reply types = api.post("/api/backends/list_types", null, null);
    assertEquals(200, types.status());
    types
        .json()
        .asJsonArray()
        .forEach(t -> assertEquals(JsonValue.ValueType.STRING, t.getValueType()));
  }

  /**
   * {@code ssh_public_key} is {@code ssh-rsa <b64> <username>\n}, {@code ssh_private_key} an
   * unencrypted PKCS#8 PEM of the same RSA-2048 key.
   */
  static void assertKeyPairOf(String username, JsonObject user) {
    String publicLine = user.getString("ssh_public_key");
    Matcher m = SSH_RSA.matcher(publicLine);
    assertTrue(m.matches(), () -> "not an ssh-rsa line: " + publicLine);
    assertEquals(username, m.group(2));
    ByteBuffer blob = ByteBuffer.wrap(Base64.getDecoder().decode(m.group(1)));
    assertEquals("ssh-rsa", new String(sshString(blob), StandardCharsets.US_ASCII));
    BigInteger exponent = new BigInteger(sshString(blob));
    BigInteger modulus = new BigInteger(sshString(blob));

    String pem = user.getString("ssh_private_key");
    assertTrue(pem.startsWith("-----BEGIN PRIVATE KEY-----\n"), pem);
    assertTrue(pem.strip().endsWith("-----END PRIVATE KEY-----"), pem);
    String base64 =
        pem.replace("-----BEGIN PRIVATE KEY-----", "")
            .replace("-----END PRIVATE KEY-----", "")
            .replaceAll("\\s", "");
    RSAPrivateCrtKey key;
    try {
      key =
          (RSAPrivateCrtKey)
              KeyFactory.getInstance("RSA")
                  .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
    } catch (java.security.GeneralSecurityException e) {
      throw new AssertionError("ssh_private_key is not a PKCS#8 RSA key", e);
    }
    assertEquals(2048, key.getModulus().bitLength());
    assertEquals(BigInteger.valueOf(65537), key.getPublicExponent());
    assertEquals(key.getModulus(), modulus, "public and private keys differ");
    assertEquals(key.getPublicExponent(), exponent);
  }

  private static byte[] sshString(ByteBuffer in) {
    byte[] value = new byte[in.getInt()];
    in.get(value);
    return value;
  }
}
