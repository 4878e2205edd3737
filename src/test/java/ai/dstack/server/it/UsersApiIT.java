package ai.dstack.server.it;

import static ai.dstack.server.it.Expect.accessDenied;
import static ai.dstack.server.it.Expect.body;
import static ai.dstack.server.it.Expect.error;
import static ai.dstack.server.it.Expect.invalidToken;
import static ai.dstack.server.it.Expect.member;
import static ai.dstack.server.it.Expect.ok;
import static ai.dstack.server.it.Expect.okArray;
import static ai.dstack.server.it.Expect.okNull;
import static ai.dstack.server.it.Expect.resourceExists;
import static ai.dstack.server.it.Expect.resourceNotExists;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** /api/users/* as the fact sheet (notes/upstream-users-projects.md §1) describes upstream. */
@ExtendWith(SharedServer.class)
class UsersApiIT {
  private static final String INVALID_KEY =
      "Invalid public key, must be in OpenSSH public key format";

  private static Api.Reply create(Api api, String username, Object... extra) {
    Object[] fields = new Object[4 + extra.length];
    fields[0] = "username";
    fields[1] = username;
    fields[2] = "global_role";
    fields[3] = "user";
    System.arraycopy(extra, 0, fields, 4, extra.length);
    return api.post("/api/users/create", body(fields));
  }

  private static JsonObject getUser(Api api, String username) {
    return ok(api.post("/api/users/get_user", body("username", username)));
  }

  private static List<String> names(JsonArray users) {
    return users.stream().map(u -> u.asJsonObject().getString("username")).toList();
  }

  // --- create / update -------------------------------------------------------------------------

  @Test
  void createAnswersTheNewUserWithEmailAndActiveAsGiven(Api api) {
    String name = Api.uniqueName("new");
    JsonObject user = ok(create(api, name, "email", "new@example.com"));
    assertEquals(name, user.getString("username"));
    assertEquals("user", user.getString("global_role"));
    assertEquals("new@example.com", user.getString("email"));
    assertTrue(user.getBoolean("active"));
    assertTrue(user.getJsonObject("permissions").getBoolean("can_create_projects"));
    assertTrue(user.getString("ssh_public_key").endsWith(" " + name + "\n"));
    assertEquals(user.getString("id"), getUser(api, name).getString("id"));

    String inactive = Api.uniqueName("inactive");
    assertEquals(false, ok(create(api, inactive, "active", false)).getBoolean("active"));
    String token = getUser(api, inactive).getJsonObject("creds").getString("token");
    invalidToken(api.post("/api/users/get_my_user", token, null));
  }

  @Test
  void usernamesDifferingOnlyInCaseAreTheSameUser(Api api) {
    String name = Api.uniqueName("Case");
    ok(create(api, name));
    resourceExists(create(api, name.toLowerCase()));
    resourceExists(create(api, name.toUpperCase()));
    resourceExists(create(api, name));
  }

  @Test
  void usernamesMustMatchTheRegex(Api api) {
    String message = "Username should match regex '^[a-zA-Z0-9-_]{1,60}$'";
    error(create(api, "has space"), message);
    error(create(api, ""), message);
    error(create(api, "a".repeat(61)), message);
    error(create(api, "dot.ted"), message);
  }

  @Test
  void onlyGlobalAdminsCreateUpdateAndDeleteUsers(Api api) {
    String name = Api.uniqueName("plain");
    String token = api.createUser(name, "user");
    accessDenied(
        api.post(
            "/api/users/create",
            token,
            body("username", Api.uniqueName("x"), "global_role", "user")));
    accessDenied(
        api.post("/api/users/update", token, body("username", name, "global_role", "admin")));
    accessDenied(api.post("/api/users/delete", token, body("users", List.of(name))));
    accessDenied(api.post("/api/users/create", token, "{}"));
    assertEquals("user", getUser(api, name).getString("global_role"));
  }

  @Test
  void updateOverwritesRoleEmailAndActiveAndClearsAnOmittedEmail(Api api) {
    String name = Api.uniqueName("upd");
    ok(create(api, name, "email", "before@example.com"));
    String token = getUser(api, name).getJsonObject("creds").getString("token");

    JsonObject promoted =
        ok(api.post("/api/users/update", body("username", name, "global_role", "admin")));
    assertEquals("admin", promoted.getString("global_role"));
    assertTrue(promoted.isNull("email"), "an omitted email is cleared");
    assertTrue(getUser(api, name).isNull("email"));

    JsonObject deactivated =
        ok(
            api.post(
                "/api/users/update",
                body(
                    "username",
                    name,
                    "global_role",
                    "user",
                    "email",
                    "after@example.com",
                    "active",
                    false)));
    assertEquals(false, deactivated.getBoolean("active"));
    assertEquals("after@example.com", deactivated.getString("email"));
    invalidToken(api.post("/api/users/get_my_user", token, null));

    JsonObject reactivated =
        ok(api.post("/api/users/update", body("username", name, "global_role", "user")));
    assertTrue(reactivated.getBoolean("active"), "an omitted active is true");
    assertEquals(name, ok(api.post("/api/users/get_my_user", token, null)).getString("username"));
  }

  @Test
  void updatingAnUnknownUserIsResourceNotFound(Api api) {
    resourceNotExists(
        api.post(
            "/api/users/update", body("username", Api.uniqueName("ghost"), "global_role", "user")));
  }

  // --- delete ----------------------------------------------------------------------------------

  @Test
  void aDeletedUserLosesTokenNameAndMembershipsButKeepsOwnedProjects(Api api) {
    String name = Api.uniqueName("gone");
    String token = api.createUser(name, "user");
    String joined = Api.uniqueName("joined");
    ok(api.createProject(api.adminToken(), joined));
    ok(
        api.post(
            "/api/projects/" + joined + "/add_members",
            body("members", List.of(member(name, "manager")))));
    String owned = Api.uniqueName("owned");
    ok(api.createProject(token, owned));
    String oldId = getUser(api, name).getString("id");

    okNull(api.post("/api/users/delete", body("users", List.of(name))));

    invalidToken(api.post("/api/users/get_my_user", token, null));
    resourceNotExists(api.post("/api/users/get_user", body("username", name)));
    assertEquals(
        List.of(), names(okArray(api.post("/api/users/list", body("name_pattern", name)))));
    JsonArray joinedMembers =
        ok(api.post("/api/projects/" + joined + "/get", null)).getJsonArray("members");
    assertEquals(1, joinedMembers.size());
    assertEquals(
        "admin", joinedMembers.getJsonObject(0).getJsonObject("user").getString("username"));

    JsonObject ownedProject = ok(api.post("/api/projects/" + owned + "/get", null));
    String ownerName = ownedProject.getJsonObject("owner").getString("username");
    assertTrue(ownerName.matches("_deleted_\\d+_[0-9a-f]{16}"), ownerName);
    assertEquals(oldId, ownedProject.getJsonObject("owner").getString("id"));
    assertEquals(false, ownedProject.getJsonObject("owner").getBoolean("active"));
    assertEquals(List.of(), ownedProject.getJsonArray("members"));

    JsonObject again = ok(create(api, name));
    assertNotEquals(oldId, again.getString("id"), "the name is free again");
  }

  @Test
  void adminCannotBeDeleted(Api api) {
    String name = Api.uniqueName("bystander");
    api.createUser(name, "user");
    error(
        api.post("/api/users/delete", body("users", List.of(name, "admin"))),
        "User 'admin' cannot be deleted");
    getUser(api, name);
    assertEquals("admin", ok(api.post("/api/users/get_my_user", null)).getString("username"));
  }

  @Test
  void deletingUnknownOrRepeatedUsersDeletesNothing(Api api) {
    String name = Api.uniqueName("kept");
    String token = api.createUser(name, "user");
    String message = "Failed to delete non-existent users";
    error(
        api.post("/api/users/delete", body("users", List.of(name, Api.uniqueName("ghost")))),
        message);
    error(api.post("/api/users/delete", body("users", List.of(name, name))), message);
    error(api.post("/api/users/delete", body("users", List.of(name.toUpperCase()))), message);
    ok(api.post("/api/users/get_my_user", token, null));
  }

  @Test
  void aGlobalAdminMayDeleteThemselves(Api api) {
    String name = Api.uniqueName("selfdel");
    String token = api.createUser(name, "admin");
    okNull(api.post("/api/users/delete", token, body("users", List.of(name))));
    invalidToken(api.post("/api/users/get_my_user", token, null));
  }

  // --- tokens and keys -------------------------------------------------------------------------

  @Test
  void refreshingTheTokenInvalidatesTheOldOneAtOnce(Api api) {
    String name = Api.uniqueName("tok");
    String old = api.createUser(name, "user");
    JsonObject refreshed = ok(api.post("/api/users/refresh_token", old, body("username", name)));
    String fresh = refreshed.getJsonObject("creds").getString("token");
    assertNotEquals(old, fresh);
    assertTrue(JsonShape.UUID4.matcher(fresh).matches(), fresh);
    invalidToken(api.post("/api/users/get_my_user", old, null));
    assertEquals(
        fresh,
        ok(api.post("/api/users/get_my_user", fresh, null))
            .getJsonObject("creds")
            .getString("token"));

    JsonObject byAdmin = ok(api.post("/api/users/refresh_token", body("username", name)));
    invalidToken(api.post("/api/users/get_my_user", fresh, null));
    ok(api.post("/api/users/get_my_user", byAdmin.getJsonObject("creds").getString("token"), null));
  }

  @Test
  void usersRefreshOnlyTheirOwnTokenAndKeyAndAreDeniedBeforeExistenceIsChecked(Api api) {
    String a = Api.uniqueName("ra");
    String b = Api.uniqueName("rb");
    String tokenA = api.createUser(a, "user");
    String tokenB = api.createUser(b, "user");
    String ghost = Api.uniqueName("ghost");
    for (String endpoint : List.of("/api/users/refresh_token", "/api/users/refresh_ssh_key")) {
      accessDenied(api.post(endpoint, tokenA, body("username", b)));
      accessDenied(api.post(endpoint, tokenA, body("username", ghost)));
      resourceNotExists(api.post(endpoint, body("username", ghost)));
    }
    ok(api.post("/api/users/get_my_user", tokenB, null));
  }

  @Test
  void refreshingTheSshKeyIssuesANewPairAndKeepsTheToken(Api api) {
    String name = Api.uniqueName("key");
    String token = api.createUser(name, "user");
    JsonObject before = getUser(api, name);
    JsonObject after = ok(api.post("/api/users/refresh_ssh_key", token, body("username", name)));
    assertNotEquals(before.getString("ssh_public_key"), after.getString("ssh_public_key"));
    assertNotEquals(before.getString("ssh_private_key"), after.getString("ssh_private_key"));
    assertEquals(token, after.getJsonObject("creds").getString("token"));
    TraceContractIT.assertKeyPairOf(name, after);
    assertEquals(
        after.getString("ssh_public_key"),
        ok(api.post("/api/users/get_my_user", token, null)).getString("ssh_public_key"));
  }

  @Test
  void getUserOfSomeoneElseIsNotFoundForNonAdmins(Api api) {
    String a = Api.uniqueName("ga");
    String b = Api.uniqueName("gb");
    String tokenA = api.createUser(a, "user");
    String tokenB = api.createUser(b, "user");
    resourceNotExists(api.post("/api/users/get_user", tokenA, body("username", b)));
    resourceNotExists(api.post("/api/users/get_user", tokenA, body("username", "admin")));
    resourceNotExists(
        api.post("/api/users/get_user", tokenA, body("username", Api.uniqueName("ghost"))));
    assertEquals(
        tokenA,
        ok(api.post("/api/users/get_user", tokenA, body("username", a)))
            .getJsonObject("creds")
            .getString("token"));
    assertEquals(tokenB, getUser(api, b).getJsonObject("creds").getString("token"));
    resourceNotExists(api.post("/api/users/get_user", body("username", b.toUpperCase())));
  }

  // --- list ------------------------------------------------------------------------------------

  @Test
  void nonAdminsListOnlyThemselvesWhateverThePaging(Api api) {
    String name = Api.uniqueName("solo");
    String token = api.createUser(name, "user");
    assertEquals(List.of(name), names(okArray(api.post("/api/users/list", token, null))));
    assertEquals(List.of(name), names(okArray(api.post("/api/users/list", token, "null"))));
    assertEquals(
        List.of(name),
        names(okArray(api.post("/api/users/list", token, body("limit", 0, "ascending", true)))));
    assertEquals(
        List.of(name),
        names(
            okArray(
                api.post(
                    "/api/users/list",
                    token,
                    body("name_pattern", name.substring(2).toUpperCase())))));
    assertEquals(
        List.of(),
        names(okArray(api.post("/api/users/list", token, body("name_pattern", "admin")))));
    JsonObject counted = ok(api.post("/api/users/list", token, body("return_total_count", true)));
    assertEquals(1, counted.getInt("total_count"));
    assertEquals(List.of(name), names(counted.getJsonArray("users")));
  }

  @Test
  void adminsPageThroughUsersByCreationTime(Api api) {
    String tag = "pg" + UUID.randomUUID().toString().substring(0, 8);
    String u1 = tag + "_1";
    String u2 = tag + "_2";
    String u3 = tag + "_3";
    for (String name : List.of(u1, u2, u3, tag + "x4")) {
      ok(create(api, name));
    }
    String pattern = tag + "_";
    JsonArray all = list(api, "name_pattern", pattern);
    assertEquals(List.of(u3, u2, u1), names(all), "newest first; '_' is not a wildcard");
    assertEquals(4, list(api, "name_pattern", tag.toUpperCase()).size());

    JsonArray first = list(api, "name_pattern", pattern, "limit", 2);
    assertEquals(List.of(u3, u2), names(first));
    JsonObject last = first.getJsonObject(1);
    assertEquals(
        List.of(u1),
        names(
            list(
                api,
                "name_pattern",
                pattern,
                "limit",
                2,
                "prev_created_at",
                last.getString("created_at"),
                "prev_id",
                last.getString("id"))));

    assertEquals(List.of(u1, u2, u3), names(list(api, "name_pattern", pattern, "ascending", true)));
    JsonObject oldest = all.getJsonObject(2);
    assertEquals(
        List.of(u2, u3),
        names(
            list(
                api,
                "name_pattern",
                pattern,
                "ascending",
                true,
                "prev_created_at",
                oldest.getString("created_at"),
                "prev_id",
                oldest.getString("id"))));
    assertEquals(
        List.of(u1),
        names(
            list(
                api,
                "name_pattern",
                pattern,
                "prev_created_at",
                all.getJsonObject(1).getString("created_at"))));
    assertEquals(
        List.of(u3, u2, u1),
        names(list(api, "name_pattern", pattern, "prev_id", all.getJsonObject(0).getString("id"))),
        "prev_id alone is ignored");
    assertEquals(List.of(), names(list(api, "name_pattern", pattern, "limit", 0)));

    JsonObject counted =
        ok(
            api.post(
                "/api/users/list",
                body(
                    "name_pattern",
                    pattern,
                    "return_total_count",
                    true,
                    "limit",
                    1,
                    "prev_created_at",
                    all.getJsonObject(0).getString("created_at"))));
    assertEquals(3, counted.getInt("total_count"), "counted before paging");
    assertEquals(List.of(u2), names(counted.getJsonArray("users")));
  }

  private static JsonArray list(Api api, Object... fields) {
    return okArray(api.post("/api/users/list", body(fields)));
  }

  @Test
  void listRejectsOutOfRangeLimitsAndBadPatterns(Api api) {
    assertValidationError(api.post("/api/users/list", body("limit", 2001)), "limit");
    assertValidationError(api.post("/api/users/list", body("limit", -1)), "limit");
    Api.Reply pattern = api.post("/api/users/list", body("name_pattern", "a%b"));
    assertValidationError(pattern, "name_pattern");
    assertEquals(
        "value_error.str.regex",
        pattern.object().getJsonArray("detail").getJsonObject(0).getString("type"));
  }

  static void assertValidationError(Api.Reply reply, String field) {
    assertEquals(422, reply.status(), reply::toString);
    JsonObject issue = reply.object().getJsonArray("detail").getJsonObject(0);
    assertEquals(
        List.of("body", field),
        issue.getJsonArray("loc").stream().map(v -> ((JsonString) v).getString()).toList());
  }

  // --- public keys -----------------------------------------------------------------------------

  /** An OpenSSH public key line of a fresh key, and the blob it encodes. */
  record SshKey(String type, byte[] blob, String comment) {
    String line() {
      String base = type + " " + Base64.getEncoder().encodeToString(blob);
      return comment == null ? base : base + " " + comment;
    }

    SshKey withComment(String other) {
      return new SshKey(type, blob, other);
    }

    /** {@code SHA256:} and the unpadded base64 of the blob's SHA-256, as ssh-keygen shows it. */
    String fingerprint() {
      return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(digest("SHA-256"));
    }

    String md5Hex() {
      return HexFormat.of().formatHex(digest("MD5"));
    }

    private byte[] digest(String algorithm) {
      try {
        return MessageDigest.getInstance(algorithm).digest(blob);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  static SshKey ed25519(String comment) {
    try {
      byte[] x509 =
          KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic().getEncoded();
      byte[] raw = Arrays.copyOfRange(x509, x509.length - 32, x509.length);
      return new SshKey("ssh-ed25519", sshBlob("ssh-ed25519", raw), comment);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static SshKey rsa(String comment) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      RSAPublicKey key = (RSAPublicKey) generator.generateKeyPair().getPublic();
      return new SshKey(
          "ssh-rsa",
          sshBlob("ssh-rsa", key.getPublicExponent().toByteArray(), key.getModulus().toByteArray()),
          comment);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] sshBlob(String type, byte[]... fields) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      byte[] name = type.getBytes(StandardCharsets.US_ASCII);
      out.writeInt(name.length);
      out.write(name);
      for (byte[] field : fields) {
        out.writeInt(field.length);
        out.write(field);
      }
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** What {@code ssh-keygen -lf} says the fingerprint is, or null where ssh-keygen is missing. */
  static String sshKeygenFingerprint(SshKey key) throws IOException, InterruptedException {
    Path file = Files.createTempFile("it-key", ".pub");
    try {
      Files.writeString(file, key.line() + "\n");
      Process process;
      try {
        process =
            new ProcessBuilder("ssh-keygen", "-l", "-f", file.toString())
                .redirectErrorStream(true)
                .start();
      } catch (IOException e) {
        return null;
      }
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(process.waitFor(10, TimeUnit.SECONDS));
      assertEquals(0, process.exitValue(), out);
      return out.trim().split("\\s+")[1];
    } finally {
      Files.deleteIfExists(file);
    }
  }

  private static Api.Reply addKey(Api api, String token, String line, String name) {
    return name == null
        ? api.post("/api/users/public_keys/add", token, body("key", line))
        : api.post("/api/users/public_keys/add", token, body("key", line, "name", name));
  }

  private static JsonArray listKeys(Api api, String token) {
    return okArray(api.post("/api/users/public_keys/list", token, null));
  }

  private static List<String> ids(JsonArray keys) {
    return keys.stream().map(k -> k.asJsonObject().getString("id")).toList();
  }

  @Test
  void anAddedKeyIsFingerprintedLikeSshKeygenAndNamedByItsComment(Api api) throws Exception {
    String token = api.createUser(Api.uniqueName("pk"), "user");
    SshKey key = ed25519("laptop@example.com");
    String keygen = sshKeygenFingerprint(key);
    if (keygen != null) {
      assertEquals(keygen, key.fingerprint(), "the test's own fingerprint agrees with ssh-keygen");
    }
    JsonObject added = ok(addKey(api, token, key.line(), null));
    assertEquals(Set.of("id", "added_at", "name", "type", "fingerprint"), added.keySet());
    assertEquals("ssh-ed25519", added.getString("type"));
    assertEquals("laptop@example.com", added.getString("name"));
    assertEquals(key.fingerprint(), added.getString("fingerprint"));
    JsonShape.assertIdsAndDatetimes(added);
    assertEquals(List.of(added), listKeys(api, token));

    SshKey rsa = rsa(null);
    JsonObject named = ok(addKey(api, token, rsa.line(), "work"));
    assertEquals("ssh-rsa", named.getString("type"));
    assertEquals("work", named.getString("name"));
    assertEquals(rsa.fingerprint(), named.getString("fingerprint"));
  }

  @Test
  void aKeyWithoutNameOrCommentIsNamedByTheMd5OfItsBlob(Api api) {
    String token = api.createUser(Api.uniqueName("pk"), "user");
    SshKey key = ed25519(null);
    assertEquals(key.md5Hex(), ok(addKey(api, token, key.line(), null)).getString("name"));
    SshKey other = ed25519(null);
    assertEquals(other.md5Hex(), ok(addKey(api, token, other.line(), "")).getString("name"));
  }

  @Test
  void aKeyIsAddedOncePerUserWhateverItsComment(Api api) {
    String tokenA = api.createUser(Api.uniqueName("pka"), "user");
    String tokenB = api.createUser(Api.uniqueName("pkb"), "user");
    SshKey key = ed25519("one");
    ok(addKey(api, tokenA, key.line(), null));
    resourceExists(addKey(api, tokenA, key.withComment("two").line(), null));
    resourceExists(addKey(api, tokenA, key.line(), "renamed"));
    assertEquals(1, listKeys(api, tokenA).size());

    JsonObject forB = ok(addKey(api, tokenB, key.line(), null));
    assertEquals(List.of(forB.getString("id")), ids(listKeys(api, tokenB)));
  }

  @Test
  void keysAreListedNewestFirstAndOnlyToTheirOwner(Api api) {
    String tokenA = api.createUser(Api.uniqueName("pka"), "user");
    String tokenB = api.createUser(Api.uniqueName("pkb"), "user");
    String first = ok(addKey(api, tokenA, ed25519("first").line(), null)).getString("id");
    String second = ok(addKey(api, tokenA, ed25519("second").line(), null)).getString("id");
    assertEquals(List.of(second, first), ids(listKeys(api, tokenA)));
    assertEquals(JsonValue.EMPTY_JSON_ARRAY, listKeys(api, tokenB));
  }

  @Test
  void deletingKeysRemovesOnlyTheCallersOwnAndIgnoresUnknownIds(Api api) {
    String tokenA = api.createUser(Api.uniqueName("pka"), "user");
    String tokenB = api.createUser(Api.uniqueName("pkb"), "user");
    String a1 = ok(addKey(api, tokenA, ed25519("a1").line(), null)).getString("id");
    String a2 = ok(addKey(api, tokenA, ed25519("a2").line(), null)).getString("id");
    String b1 = ok(addKey(api, tokenB, ed25519("b1").line(), null)).getString("id");

    okNull(
        api.post(
            "/api/users/public_keys/delete",
            tokenA,
            body("ids", List.of(a1, b1, UUID.randomUUID().toString()))));
    assertEquals(List.of(a2), ids(listKeys(api, tokenA)));
    assertEquals(List.of(b1), ids(listKeys(api, tokenB)));
    okNull(api.post("/api/users/public_keys/delete", tokenA, body("ids", List.of())));
    assertEquals(
        422, api.post("/api/users/public_keys/delete", tokenA, body("ids", List.of("x"))).status());
  }

  @Test
  void malformedAndUnsupportedKeysAreRefused(Api api) {
    String token = api.createUser(Api.uniqueName("pk"), "user");
    error(addKey(api, token, "ssh-dss AAAAB3NzaC1kc3M=", null), "Unsupported key type: ssh-dss");
    error(addKey(api, token, "ssh-rsa AAAAB3NzaC1kc3M=", null), INVALID_KEY);
    error(addKey(api, token, "not-a-key", null), INVALID_KEY);
    error(addKey(api, token, "ssh-ed25519 %%%%", null), INVALID_KEY);
    error(addKey(api, token, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA", null), INVALID_KEY);
    SshKey key = ed25519("x");
    byte[] truncated = Arrays.copyOf(key.blob(), key.blob().length - 1);
    error(addKey(api, token, new SshKey("ssh-ed25519", truncated, null).line(), null), INVALID_KEY);
    assertEquals(JsonValue.EMPTY_JSON_ARRAY, listKeys(api, token));
  }
}
