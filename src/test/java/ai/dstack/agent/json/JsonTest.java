package ai.dstack.agent.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
  @Test
  void parsesAndWritesBackTheSameDocument() {
    String text =
        "{\"a\":1,\"b\":[true,false,null],\"c\":\"x\\\"y\\n\\u00e9\",\"d\":{\"e\":-2.5},\"f\":12345678901}";
    Map<String, Object> parsed = Json.parseObject(text);
    assertEquals(1L, parsed.get("a"));
    assertEquals(-2.5, Json.decimal(Json.object(parsed, "d"), "e", 0));
    assertEquals("x\"y\né", Json.string(parsed, "c"));
    assertEquals(12345678901L, Json.number(parsed, "f", 0));
    assertEquals(text.replace("\\u00e9", "é"), Json.write(parsed));
  }

  @Test
  void absentAndNullMembersGiveDefaults() {
    Map<String, Object> parsed = Json.parseObject("{\"n\":null}");
    assertNull(Json.string(parsed, "n"));
    assertEquals(7, Json.number(parsed, "missing", 7));
    assertTrue(Json.strings(parsed, "n").isEmpty());
    assertTrue(Json.stringMap(parsed, "missing").isEmpty());
  }

  @Test
  void malformedInputAndWrongTypesAreErrorsThatSayWhere() {
    assertEquals(
        "',' or '}' is expected at offset 7",
        assertThrows(JsonException.class, () -> Json.parse("{\"a\":1 \"b\":2}")).getMessage());
    assertThrows(JsonException.class, () -> Json.parse("[1,2"));
    assertThrows(JsonException.class, () -> Json.parse("{} x"));
    assertThrows(JsonException.class, () -> Json.parseObject("[]"));
    JsonException wrongType =
        assertThrows(JsonException.class, () -> Json.strings(Json.parseObject("{\"k\":[1]}"), "k"));
    assertEquals("k: an array of strings is expected", wrongType.getMessage());
    assertEquals("[1,\"a\"]", Json.write(List.of(1, "a")));
  }
}
