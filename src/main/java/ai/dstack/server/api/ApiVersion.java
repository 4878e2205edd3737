package ai.dstack.server.api;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code X-API-VERSION} rule (API.md §1.3): a client newer than the server in major or minor is
 * refused; "latest", any 0.0.0 release and no header mean no check. Versions are read as PEP 440
 * versions (what Python's {@code packaging} accepts), and the refusal names the client version the
 * way {@code packaging} prints it.
 */
public final class ApiVersion {
  private static final Pattern PEP440 =
      Pattern.compile(
          "^\\s*v?(?:(?<epoch>[0-9]+)!)?(?<release>[0-9]+(?:\\.[0-9]+)*)"
              + "(?<pre>[-_.]?(?<preL>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<preN>[0-9]+)?)?"
              + "(?<post>-(?<postN1>[0-9]+)|[-_.]?(?<postL>post|rev|r)[-_.]?(?<postN2>[0-9]+)?)?"
              + "(?<dev>[-_.]?dev[-_.]?(?<devN>[0-9]+)?)?"
              + "(?:\\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?\\s*$",
          Pattern.CASE_INSENSITIVE);
  private static final Map<String, String> PRE_LABELS =
      Map.of(
          "alpha", "a", "a", "a", "beta", "b", "b", "b", "c", "rc", "pre", "rc", "preview", "rc",
          "rc", "rc");

  private ApiVersion() {}

  /** A parsed version: what the check compares, and its normalized text. */
  record Version(BigInteger epoch, BigInteger[] release, String text) {
    BigInteger part(int index) {
      return index < release.length ? release[index] : BigInteger.ZERO;
    }

    boolean isDevRelease() {
      return release.length == 3 && Arrays.stream(release).allMatch(BigInteger.ZERO::equals);
    }

    /** Compares epoch and release (trailing zeros do not count), which decides the check. */
    int compareRelease(Version other) {
      int byEpoch = epoch.compareTo(other.epoch);
      if (byEpoch != 0) {
        return byEpoch;
      }
      for (int i = 0; i < Math.max(release.length, other.release.length); i++) {
        int byPart = part(i).compareTo(other.part(i));
        if (byPart != 0) {
          return byPart;
        }
      }
      return 0;
    }
  }

  public static void check(String header, String serverVersion) {
    if (header == null || header.equals("latest")) {
      return;
    }
    Version client = parse(header);
    if (client == null) {
      throw ApiException.versionError("Invalid version: " + header, null);
    }
    Version server = serverVersion == null ? null : parse(serverVersion);
    if (client.isDevRelease() || server == null || server.isDevRelease()) {
      return;
    }
    boolean newer = client.compareRelease(server) > 0;
    if (newer
        && (client.part(0).compareTo(server.part(0)) > 0
            || client.part(1).compareTo(server.part(1)) > 0)) {
      throw ApiException.versionError(
          "The client/CLI version ("
              + client.text()
              + ") is incompatible with the server version ("
              + serverVersion
              + ").",
          ApiException.CODE_ERROR);
    }
  }

  /** A PEP 440 version, or null if {@code packaging} would raise InvalidVersion. */
  static Version parse(String version) {
    Matcher m = PEP440.matcher(version);
    if (!m.matches()) {
      return null;
    }
    BigInteger epoch = m.group("epoch") == null ? BigInteger.ZERO : number(m.group("epoch"));
    BigInteger[] release =
        Arrays.stream(m.group("release").split("\\."))
            .map(ApiVersion::number)
            .toArray(BigInteger[]::new);
    StringBuilder text = new StringBuilder();
    if (epoch.signum() != 0) {
      text.append(epoch).append('!');
    }
    text.append(String.join(".", Arrays.stream(release).map(BigInteger::toString).toList()));
    if (m.group("pre") != null) {
      text.append(PRE_LABELS.get(m.group("preL").toLowerCase(Locale.ROOT)))
          .append(numberOrZero(m.group("preN")));
    }
    if (m.group("post") != null) {
      String n = m.group("postN1") != null ? m.group("postN1") : m.group("postN2");
      text.append(".post").append(numberOrZero(n));
    }
    if (m.group("dev") != null) {
      text.append(".dev").append(numberOrZero(m.group("devN")));
    }
    if (m.group("local") != null) {
      text.append('+')
          .append(
              String.join(
                  ".",
                  Arrays.stream(m.group("local").toLowerCase(Locale.ROOT).split("[-_.]"))
                      .map(p -> p.matches("[0-9]+") ? number(p).toString() : p)
                      .toList()));
    }
    return new Version(epoch, release, text.toString());
  }

  private static BigInteger number(String digits) {
    return new BigInteger(digits);
  }

  private static BigInteger numberOrZero(String digits) {
    return digits == null ? BigInteger.ZERO : number(digits);
  }
}
