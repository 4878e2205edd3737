package ai.dstack.server.api;

import ai.dstack.server.api.json.JsonInput;
import jakarta.json.JsonObject;
import jakarta.ws.rs.core.HttpHeaders;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code file} part of an upload endpoint ({@code repos/upload_code}, {@code
 * files/upload_archive}), checked as upstream does: the request size against {@code
 * DSTACK_SERVER_CODE_UPLOAD_LIMIT} (0 = no limit), then FastAPI's {@code UploadFile} rules. No more
 * than the limit plus one byte of the body is ever held in memory.
 */
public final class Upload {
  /** The uploaded file; the CLI names it with the sha256 hex of {@code content}. */
  public record File(String filename, byte[] content) {}

  /** What is uploaded, as upstream's size error names it and what it advises. */
  public enum Kind {
    CODE("Repo diff", "Use .gitignore to exclude large files from the repo."),
    ARCHIVE("Archive", "Use .gitignore/.dstackignore to exclude large files.");

    private final String subject;
    private final String advice;

    Kind(String subject, String advice) {
      this.subject = subject;
      this.advice = advice;
    }
  }

  private static final String FIELD = "file";

  private Upload() {}

  /**
   * Reads the upload. {@code issues} are the endpoint's other 422 problems (its query parameters),
   * reported together with the file's as FastAPI does.
   */
  public static File read(
      HttpHeaders headers, InputStream body, long limit, Kind kind, List<JsonObject> issues) {
    List<JsonObject> problems = new ArrayList<>(issues);
    long declared = headers.getLength();
    if (limit > 0 && declared > limit) {
      // the body is only drained (a client still sending would otherwise miss the answer), so
      // what FastAPI would validate in it is unknown
      discard(body);
      if (!problems.isEmpty()) {
        throw ApiException.validation(problems);
      }
      throw tooLarge(kind, declared, limit);
    }
    byte[] bytes = readBounded(body, limit, kind);
    List<MultipartForm.Part> parts;
    try {
      parts = MultipartForm.parse(bytes, headers.getHeaderString(HttpHeaders.CONTENT_TYPE));
    } catch (MultipartForm.MalformedException e) {
      throw ApiException.bodyParseError();
    }
    // a repeated field: the last one counts, as in Starlette's form
    MultipartForm.Part file = null;
    for (MultipartForm.Part part : parts) {
      if (part.name().equals(FIELD)) {
        file = part;
      }
    }
    List<Object> loc = List.of("body", FIELD);
    if (file == null || (file.filename() == null && file.content().length == 0)) {
      problems.add(JsonInput.issue(loc, "field required", "value_error.missing"));
    } else if (file.filename() == null) {
      problems.add(
          JsonInput.issue(loc, "Expected UploadFile, received: <class 'str'>", "value_error"));
    }
    if (!problems.isEmpty()) {
      throw ApiException.validation(problems);
    }
    return new File(file.filename(), file.content());
  }

  /**
   * The whole body, or upstream's size error once it passes {@code limit}; the rest of an oversized
   * body is only counted, so the message can say how big it was.
   */
  static byte[] readBounded(InputStream body, long limit, Kind kind) {
    try {
      if (limit <= 0) {
        return body.readAllBytes();
      }
      byte[] bytes = body.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
      if (bytes.length <= limit) {
        return bytes;
      }
      throw tooLarge(kind, bytes.length + discard(body), limit);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long discard(InputStream body) {
    try {
      return body.transferTo(OutputStream.nullOutputStream());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static ApiException tooLarge(Kind kind, long size, long limit) {
    String sizeText = sizeOf(size);
    String limitText = sizeOf(limit);
    if (sizeText.equals(limitText)) {
      sizeText = size + "B";
      limitText = limit + "B";
    }
    return ApiException.error(
        kind.subject
            + " size is "
            + sizeText
            + ", which exceeds the limit of "
            + limitText
            + ". "
            + kind.advice
            + " This limit can be modified by setting the DSTACK_SERVER_CODE_UPLOAD_LIMIT"
            + " environment variable.");
  }

  /** Upstream's {@code sizeof_fmt}: binary units, one decimal rounded as Python's "%.1f". */
  static String sizeOf(long bytes) {
    String[] units = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi"};
    double value = bytes;
    for (String unit : units) {
      if (Math.abs(value) < 1024.0) {
        return oneDecimal(value) + unit + "B";
      }
      value /= 1024.0;
    }
    return oneDecimal(value) + "YiB";
  }

  private static String oneDecimal(double value) {
    // the exact binary value, rounded half-even: what Python's float formatting does
    return new BigDecimal(value).setScale(1, RoundingMode.HALF_EVEN).toPlainString();
  }
}
