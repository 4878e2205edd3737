package ai.dstack.server.api.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.api.ApiException;
import jakarta.json.Json;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class JsonInputTest {
  enum Role {
    ADMIN,
    USER
  }

  enum Spot {
    ON_DEMAND
  }

  private static JsonValue json(String text) {
    return Json.createReader(new StringReader(text)).readValue();
  }

  @Test
  void collectsEveryProblemWithItsFieldPathBeforeFailing() {
    JsonInput in =
        JsonInput.requiredBody(
            json("{\"name\":{\"a\":1},\"role\":\"boss\",\"members\":[{\"username\":\"x\"}]}"));
    in.string("name");
    in.enumValue("role", Role.class);
    in.string("missing");
    in.objectList("members").forEach(m -> m.string("project_role"));
    ApiException e = assertThrows(ApiException.class, in::validate);
    assertEquals(422, e.status());
    assertEquals(
        "{\"detail\":["
            + "{\"loc\":[\"body\",\"name\"],\"msg\":\"str type expected\",\"type\":\"type_error.str\"},"
            + "{\"loc\":[\"body\",\"role\"],\"msg\":\"value is not a valid enumeration member;"
            + " permitted: 'admin', 'user'\",\"type\":\"type_error.enum\","
            + "\"ctx\":{\"enum_values\":[\"admin\",\"user\"]}},"
            + "{\"loc\":[\"body\",\"missing\"],\"msg\":\"field required\",\"type\":\"value_error.missing\"},"
            + "{\"loc\":[\"body\",\"members\",0,\"project_role\"],\"msg\":\"field required\","
            + "\"type\":\"value_error.missing\"}]}",
        e.body().toString());
  }

  @Test
  void aMissingRequiredBodyIsReportedAtBody() {
    ApiException e = assertThrows(ApiException.class, () -> JsonInput.requiredBody(null));
    assertEquals(
        "{\"detail\":[{\"loc\":[\"body\"],\"msg\":\"field required\",\"type\":\"value_error.missing\"}]}",
        e.body().toString());
  }

  @Test
  void aBodyThatIsNotAnObjectIsNotADict() {
    ApiException e = assertThrows(ApiException.class, () -> JsonInput.requiredBody(json("[1]")));
    assertTrue(e.body().toString().contains("value is not a valid dict"));
  }

  @Test
  void scalarsAreCoercedAsPydanticDoes() {
    JsonInput in =
        JsonInput.optionalBody(
            json(
                "{\"n\":5,\"flag\":\"yes\",\"limit\":\"7\",\"spot\":\"on-demand\","
                    + "\"at\":\"2023-01-02T03:04:05.123456+00:00\",\"naive\":\"2023-01-02T03:04:05\"}"));
    assertEquals("5", in.optString("n"));
    assertTrue(in.bool("flag", false));
    assertEquals(7, in.integer("limit", 100, 0, 100));
    assertEquals(Spot.ON_DEMAND, in.optEnum("spot", Spot.class));
    assertEquals(Instant.parse("2023-01-02T03:04:05.123456Z"), in.optDatetime("at"));
    assertEquals(Instant.parse("2023-01-02T03:04:05Z"), in.optDatetime("naive"));
    in.validate();
  }

  @Test
  void boundsAndUuidsAreChecked() {
    JsonInput in = JsonInput.optionalBody(json("{\"limit\":2001,\"prev_id\":\"nope\"}"));
    assertEquals(2000, in.integer("limit", 2000, 0, 2000), "the default until validate() reports");
    assertNull(in.optUuid("prev_id"));
    ApiException e = assertThrows(ApiException.class, in::validate);
    assertEquals(
        "{\"detail\":[{\"loc\":[\"body\",\"limit\"],\"msg\":\"ensure this value is less than or"
            + " equal to 2000\",\"type\":\"value_error.number.not_le\",\"ctx\":{\"limit_value\":2000}},"
            + "{\"loc\":[\"body\",\"prev_id\"],\"msg\":\"value is not a valid uuid\","
            + "\"type\":\"type_error.uuid\"}]}",
        e.body().toString());
  }

  @Test
  void anAbsentOrNullOptionalBodyMeansDefaults() {
    assertEquals(2000, JsonInput.optionalBody(null).integer("limit", 2000, 0, 2000));
    assertTrue(JsonInput.optionalBody(JsonValue.NULL).bool("ascending", true));
  }
}
