package ai.dstack.server.config.schema;

import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Converts between JSON-P values and the plain trees schemas work on. */
public final class PlainTree {
  private PlainTree() {}

  public static Object fromJson(JsonValue value) {
    if (value == null) {
      return null;
    }
    switch (value.getValueType()) {
      case OBJECT:
        Map<String, Object> map = new LinkedHashMap<>();
        ((JsonObject) value).forEach((key, item) -> map.put(key, fromJson(item)));
        return map;
      case ARRAY:
        List<Object> list = new ArrayList<>();
        ((JsonArray) value).forEach(item -> list.add(fromJson(item)));
        return list;
      case STRING:
        return ((JsonString) value).getString();
      case NUMBER:
        JsonNumber number = (JsonNumber) value;
        if (!number.isIntegral()) {
          return number.doubleValue();
        }
        return number.bigIntegerValue().bitLength() < 64
            ? (Object) number.longValue()
            : number.bigIntegerValue();
      case TRUE:
        return Boolean.TRUE;
      case FALSE:
        return Boolean.FALSE;
      default:
        return null;
    }
  }
}
