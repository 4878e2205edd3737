package ai.dstack.server.config.schema;

import java.util.ArrayList;
import java.util.List;

/** Builds and prints field paths; lists are immutable so a path can be shared by siblings. */
final class FieldPath {
  private FieldPath() {}

  static List<Object> child(List<Object> parent, Object segment) {
    List<Object> path = new ArrayList<>(parent.size() + 1);
    path.addAll(parent);
    path.add(segment);
    return List.copyOf(path);
  }

  static String format(List<Object> path) {
    StringBuilder text = new StringBuilder();
    for (Object segment : path) {
      if (segment instanceof Integer index) {
        text.append('[').append(index).append(']');
      } else {
        if (!text.isEmpty()) {
          text.append('.');
        }
        text.append(segment);
      }
    }
    return text.isEmpty() ? "(root)" : text.toString();
  }
}
