package ai.dstack.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.JsonValue;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shape comparison the contract tests rely on must catch what it claims to. */
class JsonShapeTest {
  private static final String USER =
      """
      {"id":"012ac2c7-15e9-49de-90e2-184e292cf29c","username":"admin",
       "created_at":"2026-11-28T22:25:49.075443+00:00","global_role":"admin","email":null,
       "active":true,"permissions":{"can_create_projects":true},
       "ssh_public_key":"ssh-rsa AAAAB3NzaC1yc2E= admin\\n"}
      """;

  private static List<String> diff(String expected, String actual) {
    return JsonShape.differences(Expect.parse(expected), Expect.parse(actual));
  }

  private static String user(String from, String to) {
    String changed = USER.replace(from, to);
    assertTrue(!changed.equals(USER), "test setup: " + from + " not in the reference");
    return changed;
  }

  @Test
  void differentIdentifiersTimestampsAndKeysAreTheSameShape() {
    String other =
        USER.replace("012ac2c7-15e9-49de-90e2-184e292cf29c", "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f")
            .replace("2026-11-28T22:25:49.075443+00:00", "2025-01-02T03:04:05+00:00")
            .replace("admin\\n", "someone\\n")
            .replace("\"username\":\"admin\"", "\"username\":\"someone\"");
    assertEquals(List.of(), diff(USER, other));
  }

  @Test
  void missingAndExtraKeysAreReported() {
    assertEquals(List.of("$: missing keys [email]"), diff(USER, user("\"email\":null,", "")));
    assertEquals(
        List.of("$.permissions: unexpected keys [x]"),
        diff(USER, user("\"can_create_projects\":true", "\"can_create_projects\":true,\"x\":1")));
  }

  @Test
  void nullWhereTheReferenceHasAValueIsReported() {
    assertEquals(1, diff(USER, user("\"active\":true", "\"active\":null")).size());
    assertEquals(1, diff(USER, user("\"email\":null", "\"email\":\"a@b.c\"")).size());
  }

  @Test
  void enumValuesAndBooleansMustBeEqual() {
    assertEquals(
        1, diff(USER, user("\"global_role\":\"admin\"", "\"global_role\":\"user\"")).size());
    assertEquals(1, diff(USER, user("\"active\":true", "\"active\":false")).size());
  }

  @Test
  void typesAndFormatsMustMatch() {
    assertEquals(1, diff(USER, user("\"active\":true", "\"active\":\"true\"")).size());
    assertEquals(
        1,
        diff(USER, user("012ac2c7-15e9-49de", "012ac2c7-15e9-19de")).size(),
        "a v1 UUID is not a v4 one");
    assertEquals(
        1, diff(USER, user("22:25:49.075443+00:00", "22:25:49.075443")).size(), "a naive datetime");
    assertEquals(1, diff(USER, user(" admin\\n", " admin")).size(), "no trailing newline");
    assertEquals(1, diff("{\"n\":1}", "{\"n\":1.5}").size(), "int vs float");
  }

  @Test
  void arraysAreComparedItemByItem() {
    assertEquals(List.of(), diff("[]", "[]"));
    assertEquals(1, diff("[]", "[" + USER + "]").size());
    assertEquals(1, diff("[" + USER + "]", "[]").size());
    assertEquals(
        1, diff("[" + USER + "]", "[" + USER + "," + user("\"email\":null,", "") + "]").size());
  }

  @Test
  void idsAndDatetimesAreCheckedEverywhere() {
    JsonShape.assertIdsAndDatetimes(Expect.parse("[" + USER + "]"));
    JsonValue naive = Expect.parse("{\"x\":{\"added_at\":\"2026-11-28T22:25:49Z\"}}");
    assertThrows(AssertionError.class, () -> JsonShape.assertIdsAndDatetimes(naive));
    JsonValue upper = Expect.parse("{\"project_id\":\"012AC2C7-15E9-49DE-90E2-184E292CF29C\"}");
    assertThrows(AssertionError.class, () -> JsonShape.assertIdsAndDatetimes(upper));
  }
}
