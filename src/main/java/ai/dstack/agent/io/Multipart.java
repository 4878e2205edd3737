package ai.dstack.agent.io;

import ai.dstack.agent.http.HttpException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the one file field of a multipart/form-data upload, streaming its content to a file. */
public final class Multipart {
  private static final Pattern BOUNDARY = Pattern.compile("boundary=\"?([^\";]+)\"?");
  private static final Pattern NAME = Pattern.compile("[; ]name=\"([^\"]*)\"");
  private static final Pattern FILENAME = Pattern.compile("filename=\"([^\"]*)\"");

  /** The uploaded file: its form field, its file name and where its content now is. */
  public record Part(String field, String fileName, Path content) {}

  private Multipart() {}

  /**
   * Streams the single part of {@code body} to a temporary file in {@code dir}. Errors are 400s
   * with the messages upstream's runner gives.
   */
  public static Part readSingleFile(String contentType, InputStream body, Path dir)
      throws IOException {
    if (contentType == null || contentType.isEmpty()) {
      throw new HttpException(400, "missing content-type header");
    }
    String mediaType = contentType.split(";")[0].trim();
    if (!mediaType.equalsIgnoreCase("multipart/form-data")) {
      throw new HttpException(400, "multipart/form-data expected, got " + mediaType);
    }
    Matcher boundaryMatch = BOUNDARY.matcher(contentType);
    if (!boundaryMatch.find()) {
      throw new HttpException(400, "missing boundary");
    }
    byte[] delimiter = ("\r\n--" + boundaryMatch.group(1)).getBytes(StandardCharsets.ISO_8859_1);
    InputStream in = new BufferedInputStream(body);
    String first = readLine(in);
    while (first != null && first.isEmpty()) {
      first = readLine(in);
    }
    if (first == null || !first.startsWith("--")) {
      throw new HttpException(400, "empty form");
    }
    if (first.equals("--" + boundaryMatch.group(1) + "--")) {
      throw new HttpException(400, "empty form");
    }
    String disposition = null;
    String line;
    while ((line = readLine(in)) != null && !line.isEmpty()) {
      if (line.toLowerCase().startsWith("content-disposition:")) {
        disposition = line;
      }
    }
    String field = match(NAME, disposition);
    if (field == null || field.isEmpty()) {
      throw new HttpException(400, "missing field name");
    }
    String fileName = match(FILENAME, disposition);
    Files.createDirectories(dir);
    Path content = Files.createTempFile(dir, "upload", ".part");
    boolean closed;
    try (OutputStream out = Files.newOutputStream(content)) {
      closed = copyUntil(in, out, delimiter);
    }
    if (!closed) {
      Files.deleteIfExists(content);
      throw new HttpException(400, "the form ends before its closing boundary");
    }
    String after = readLine(in);
    if (after != null && !after.startsWith("--")) {
      Files.deleteIfExists(content);
      throw new HttpException(400, "extra form field(s)");
    }
    return new Part(field, fileName, content);
  }

  /**
   * Copies until the delimiter; true when it was found. The delimiter starts with its only '\r'.
   */
  private static boolean copyUntil(InputStream in, OutputStream out, byte[] delimiter)
      throws IOException {
    int matched = 0;
    int c;
    while ((c = in.read()) != -1) {
      if (c == (delimiter[matched] & 0xff)) {
        matched++;
        if (matched == delimiter.length) {
          return true;
        }
        continue;
      }
      if (matched > 0) {
        out.write(delimiter, 0, matched);
        matched = c == '\r' ? 1 : 0;
        if (matched == 1) {
          continue;
        }
      }
      out.write(c);
    }
    return false;
  }

  private static String match(Pattern pattern, String text) {
    if (text == null) {
      return null;
    }
    Matcher m = pattern.matcher(text);
    return m.find() ? m.group(1) : null;
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int c;
    while ((c = in.read()) != -1 && c != '\n') {
      line.append((char) c);
      if (line.length() > 16 * 1024) {
        throw new HttpException(400, "form header line too long");
      }
    }
    if (c == -1 && line.length() == 0) {
      return null;
    }
    int end = line.length();
    return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
  }
}
