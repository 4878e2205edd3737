package ai.dstack.server.runs.control;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code ${{ secrets.NAME }}} in job env and registry credentials, resolved by the server. */
final class SecretInterpolation {
  private static final Pattern REFERENCE = Pattern.compile("\\$\\{\\{\\s*([^}]*?)\\s*}}");

  private SecretInterpolation() {}

  /** Thrown for a reference to an unknown secret or an unknown namespace. */
  static final class Failure extends Exception {
    Failure(String message) {
      super(message, null, false, false);
    }
  }

  static String apply(String text, Map<String, String> secrets) throws Failure {
    if (text == null || !text.contains("${{")) {
      return text;
    }
    Matcher m = REFERENCE.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String name = m.group(1);
      if (!name.startsWith("secrets.")) {
        throw new Failure("Unknown variable: " + name);
      }
      String value = secrets.get(name.substring("secrets.".length()));
      if (value == null) {
        throw new Failure("Secret " + name.substring("secrets.".length()) + " is not defined");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    return out.toString();
  }
}
