package ai.dstack.server.api;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A {@code multipart/form-data} body (RFC 7578) split into its parts, as Starlette reads the form
 * of an upload endpoint. The body is already in memory (bounded by the caller), so parsing works on
 * the byte array and copies out only part contents.
 */
public final class MultipartForm {
  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] HEADERS_END = {'\r', '\n', '\r', '\n'};

  /** One part; {@code filename} is null for a plain field (FastAPI then sees a string). */
  public record Part(String name, String filename, byte[] content) {}

  /** The body is multipart but broken: FastAPI answers "There was an error parsing the body". */
  public static final class MalformedException extends Exception {
    MalformedException(String message) {
      super(message, null, false, false);
    }
  }

  private MultipartForm() {}

  /**
   * The parts of {@code body} in order. A body of another content type is an empty form, as in
   * Starlette, so the endpoint then reports its fields as missing.
   */
  public static List<Part> parse(byte[] body, String contentType) throws MalformedException {
    if (contentType == null) {
      return List.of();
    }
    Map<String, String> params = new LinkedHashMap<>();
    String mime = parseHeaderValue(contentType, params);
    if (!mime.equals("multipart/form-data")) {
      return List.of();
    }
    String boundary = params.get("boundary");
    if (boundary == null || boundary.isEmpty()) {
      throw new MalformedException("Missing boundary in multipart");
    }
    byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
    byte[] partEnd = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);

    int at;
    if (startsWith(body, 0, delimiter)) {
      at = delimiter.length;
    } else {
      // a preamble before the first delimiter is allowed and ignored
      int first = indexOf(body, partEnd, 0);
      if (first < 0) {
        throw new MalformedException("No multipart boundary found");
      }
      at = first + partEnd.length;
    }
    List<Part> parts = new ArrayList<>();
    while (true) {
      if (startsWith(body, at, new byte[] {'-', '-'})) {
        return parts;
      }
      // transport padding may follow a delimiter before its line ends
      while (at < body.length && (body[at] == ' ' || body[at] == '\t')) {
        at++;
      }
      if (!startsWith(body, at, CRLF)) {
        throw new MalformedException("Malformed multipart delimiter line");
      }
      // the CRLF ending the delimiter line doubles as the start of the blank-line search
      int headersEnd = indexOf(body, HEADERS_END, at);
      if (headersEnd < 0) {
        throw new MalformedException("Unterminated multipart part headers");
      }
      String headers =
          new String(
              body,
              Math.min(at + CRLF.length, headersEnd),
              Math.max(0, headersEnd - at - CRLF.length),
              StandardCharsets.UTF_8);
      int contentStart = headersEnd + HEADERS_END.length;
      int contentEnd = indexOf(body, partEnd, contentStart);
      if (contentEnd < 0) {
        throw new MalformedException("Missing closing multipart boundary");
      }
      parts.add(part(headers, Arrays.copyOfRange(body, contentStart, contentEnd)));
      at = contentEnd + partEnd.length;
    }
  }

  private static Part part(String headers, byte[] content) throws MalformedException {
    String disposition = null;
    for (String line : headers.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("Content-Disposition")) {
        disposition = line.substring(colon + 1);
      }
    }
    if (disposition == null) {
      throw new MalformedException("Missing Content-Disposition header in a multipart part");
    }
    Map<String, String> params = new LinkedHashMap<>();
    parseHeaderValue(disposition, params);
    String name = params.get("name");
    if (name == null) {
      throw new MalformedException("The Content-Disposition header field \"name\" is missing");
    }
    return new Part(name, params.get("filename"), content);
  }

  /**
   * A header value as {@code value; key=token; key="quoted \" string"}: the lower-cased value is
   * returned and the parameters (keys lower-cased) put into {@code params}.
   */
  static String parseHeaderValue(String header, Map<String, String> params) {
    int i = header.indexOf(';');
    String value = (i < 0 ? header : header.substring(0, i)).trim().toLowerCase(Locale.ROOT);
    while (i >= 0 && i < header.length()) {
      i++; // past ';'
      int eq = header.indexOf('=', i);
      int semi = header.indexOf(';', i);
      if (eq < 0 || (semi >= 0 && semi < eq)) {
        i = semi; // a parameter without a value
        continue;
      }
      String key = header.substring(i, eq).trim().toLowerCase(Locale.ROOT);
      int j = eq + 1;
      while (j < header.length() && header.charAt(j) == ' ') {
        j++;
      }
      StringBuilder text = new StringBuilder();
      if (j < header.length() && header.charAt(j) == '"') {
        j++;
        while (j < header.length() && header.charAt(j) != '"') {
          char c = header.charAt(j);
          if (c == '\\' && j + 1 < header.length()) {
            c = header.charAt(++j);
          }
          text.append(c);
          j++;
        }
        i = header.indexOf(';', j);
      } else {
        int end = header.indexOf(';', j);
        text.append((end < 0 ? header.substring(j) : header.substring(j, end)).trim());
        i = end;
      }
      params.putIfAbsent(key, text.toString());
    }
    return value;
  }

  private static boolean startsWith(byte[] body, int at, byte[] prefix) {
    if (at < 0 || at + prefix.length > body.length) {
      return false;
    }
    for (int k = 0; k < prefix.length; k++) {
      if (body[at + k] != prefix[k]) {
        return false;
      }
    }
    return true;
  }

  private static int indexOf(byte[] body, byte[] needle, int from) {
    for (int at = Math.max(0, from); at + needle.length <= body.length; at++) {
      if (startsWith(body, at, needle)) {
        return at;
      }
    }
    return -1;
  }
}
