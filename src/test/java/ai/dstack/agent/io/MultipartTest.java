package ai.dstack.agent.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.dstack.agent.http.HttpException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MultipartTest {
  @TempDir Path tmp;

  private static byte[] form(
      String boundary, String name, String filename, byte[] content, String extra) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(
        ("--"
                + boundary
                + "\r\nContent-Disposition: form-data; name=\""
                + name
                + "\"; filename=\""
                + filename
                + "\"\r\n\r\n")
            .getBytes(StandardCharsets.UTF_8));
    out.writeBytes(content);
    out.writeBytes(("\r\n--" + boundary + extra).getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  @Test
  void streamsTheFileContentExactlyEvenWhenItLooksLikeABoundary() throws Exception {
    byte[] content =
        "line\r\n--bound\r\n--boun not quite\r\r\n\u0000\u00ff end"
            .getBytes(StandardCharsets.ISO_8859_1);
    byte[] body = form("boundary42", "archive", "abc-123", content, "--\r\n");
    Multipart.Part part =
        Multipart.readSingleFile(
            "multipart/form-data; boundary=boundary42", new ByteArrayInputStream(body), tmp);
    assertEquals("archive", part.field());
    assertEquals("abc-123", part.fileName());
    assertArrayEquals(content, Files.readAllBytes(part.content()));
  }

  @Test
  void malformedFormsAreRefusedWithUpstreamsMessages() {
    assertEquals("missing content-type header", refuse(null, new byte[0]));
    assertEquals(
        "multipart/form-data expected, got application/json",
        refuse("application/json", new byte[0]));
    assertEquals("missing boundary", refuse("multipart/form-data", new byte[0]));
    assertEquals(
        "empty form",
        refuse("multipart/form-data; boundary=b", "--b--\r\n".getBytes(StandardCharsets.UTF_8)));
    assertEquals(
        "extra form field(s)",
        refuse(
            "multipart/form-data; boundary=b",
            form(
                "b",
                "archive",
                "x",
                new byte[] {1},
                "\r\nContent-Disposition: form-data; name=\"more\"\r\n\r\n2\r\n--b--")));
    assertEquals(
        "the form ends before its closing boundary",
        refuse(
            "multipart/form-data; boundary=b",
            "--b\r\nContent-Disposition: form-data; name=\"archive\"; filename=\"x\"\r\n\r\ncut"
                .getBytes(StandardCharsets.UTF_8)));
  }

  private String refuse(String contentType, byte[] body) {
    HttpException e =
        assertThrows(
            HttpException.class,
            () -> Multipart.readSingleFile(contentType, new ByteArrayInputStream(body), tmp));
    assertEquals(400, e.status());
    return e.getMessage();
  }
}
