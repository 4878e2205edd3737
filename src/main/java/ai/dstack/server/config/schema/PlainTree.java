package ai.dstack.server.config.schema;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.math.BigDecimal;
import java.math.BigInteger;
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

  /** The JSON-P value of a plain tree (the inverse of {@link #fromJson}). */
  public static JsonValue toJson(Object value) {
    if (value == null) {
      return JsonValue.NULL;
    }
    if (value instanceof Map<?, ?> map) {
      JsonObjectBuilder object = Json.createObjectBuilder();
      map.forEach((key, item) -> object.add(String.valueOf(key), toJson(item)));
      return object.build();
    }
    if (value instanceof List<?> list) {
      JsonArrayBuilder array = Json.createArrayBuilder();
      list.forEach(item -> array.add(toJson(item)));
      return array.build();
    }
    if (value instanceof Boolean flag) {
      return flag ? JsonValue.TRUE : JsonValue.FALSE;
    }
    if (value instanceof BigInteger big) {
      return Json.createValue(big);
    }
    if (value instanceof Double || value instanceof Float) {
      return Json.createValue(((Number) value).doubleValue());
    }
    if (value instanceof BigDecimal decimal) {
      return Json.createValue(decimal);
    }
    if (value instanceof Number number) {
      return Json.createValue(number.longValue());
    }
    return Json.createValue(value.toString());
  }
}
