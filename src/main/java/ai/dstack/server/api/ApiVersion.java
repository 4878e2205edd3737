package ai.dstack.server.api;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code X-API-VERSION} rule (API.md §1.3): a client newer than the server in major or minor is
 * refused; "latest", "0.0.0…" and no header mean no check.
 */
public final class ApiVersion {
  // PEP 440 release segment plus optional pre/post/dev suffixes, as the client's versions look
  private static final Pattern VERSION =
      Pattern.compile(
          "^v?(\\d+)(?:\\.(\\d+))?(?:\\.(\\d+))?(?:\\.\\d+)*"
              + "(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?\\d*)?"
              + "(?:[-_.]?(?:post|rev|r)[-_.]?\\d*)?(?:[-_.]?dev[-_.]?\\d*)?(?:\\+[a-z0-9.]+)?$",
          Pattern.CASE_INSENSITIVE);

  private ApiVersion() {}

  public static void check(String header, String serverVersion) {
    if (header == null || header.equals("latest") || header.startsWith("0.0.0")) {
      return;
    }
    int[] client = parse(header.trim());
    if (client == null) {
      throw ApiException.versionError("Invalid version: " + header, null);
    }
    int[] server = parse(serverVersion);
    if (server == null) {
      return;
    }
    boolean newer = compare(client, server) > 0;
    if (newer && (client[0] > server[0] || client[1] > server[1])) {
      throw ApiException.versionError(
          "The client/CLI version ("
              + header
              + ") is incompatible with the server version ("
              + serverVersion
              + ").",
          ApiException.CODE_ERROR);
    }
  }

  private static int[] parse(String version) {
    Matcher m = VERSION.matcher(version);
    if (!m.matches()) {
      return null;
    }
    return new int[] {number(m.group(1)), number(m.group(2)), number(m.group(3))};
  }

  private static int number(String group) {
    return group == null ? 0 : Integer.parseInt(group);
  }

  private static int compare(int[] a, int[] b) {
    for (int i = 0; i < 3; i++) {
      if (a[i] != b[i]) {
        return Integer.compare(a[i], b[i]);
      }
    }
    return 0;
  }
}
