package ai.dstack.server.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MultipartFormTest {
  private static final String BOUNDARY = "3f1c2b0e9d8a4b5c6d7e8f9a0b1c2d3e";
  private static final String TYPE = "multipart/form-data; boundary=" + BOUNDARY;

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** What python-requests writes for {@code files={"file": (name, data)}}. */
  private static byte[] cliBody(String filename, byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(
        bytes(
            "--"
                + BOUNDARY
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
                + filename
                + "\"\r\n\r\n"));
    out.writeBytes(content);
    out.writeBytes(bytes("\r\n--" + BOUNDARY + "--\r\n"));
    return out.toByteArray();
  }

  @Test
  void readsTheCliFilePartWithBinaryContentKeptByteForByte() throws Exception {
    byte[] content = new byte[256];
    for (int i = 0; i < content.length; i++) {
      content[i] = (byte) i; // CR, LF and '-' included
    }
    List<MultipartForm.Part> parts = MultipartForm.parse(cliBody("abc123", content), TYPE);
    assertEquals(1, parts.size());
    assertEquals("file", parts.get(0).name());
    assertEquals("abc123", parts.get(0).filename());
    assertArrayEquals(content, parts.get(0).content());
  }

  @Test
  void contentThatLooksLikeADelimiterWithoutItsBoundaryIsContent() throws Exception {
    byte[] content = bytes("line\r\n--not-the-boundary\r\n\r\n--" + BOUNDARY.substring(0, 10));
    assertArrayEquals(content, MultipartForm.parse(cliBody("h", content), TYPE).get(0).content());
  }

  @Test
  void emptyFileAndPlainFieldsAndPreambleAndQuotedBoundary() throws Exception {
    String body =
        "preamble\r\n--b\r\n"
            + "Content-Disposition: form-data; name=\"note\"\r\n\r\n"
            + "hello\r\n--b\r\n"
            + "content-disposition: form-data; name=file; filename=\"a\\\"b\"\r\n"
            + "Content-Type: application/octet-stream\r\n\r\n"
            + "\r\n--b--";
    List<MultipartForm.Part> parts =
        MultipartForm.parse(bytes(body), "Multipart/Form-Data; boundary=\"b\"");
    assertEquals(2, parts.size());
    assertNull(parts.get(0).filename(), "a plain field has no filename");
    assertEquals("hello", new String(parts.get(0).content(), StandardCharsets.UTF_8));
    assertEquals("a\"b", parts.get(1).filename());
    assertEquals(0, parts.get(1).content().length);
  }

  @Test
  void otherContentTypesAreAnEmptyForm() throws Exception {
    assertTrue(MultipartForm.parse(bytes("{\"file\":1}"), "application/json").isEmpty());
    assertTrue(MultipartForm.parse(bytes("x"), null).isEmpty());
  }

  @Test
  void brokenMultipartBodiesAreMalformed() {
    for (String[] bad :
        new String[][] {
          {"--b\r\nContent-Disposition: form-data; name=file\r\n\r\nx", "boundary=b"},
          {"no delimiter at all", "boundary=b"},
          {"--b\r\nContent-Disposition: form-data; name=file\r\n\r\nx\r\n--b--", ""},
          {"--b\r\nX-Other: 1\r\n\r\nx\r\n--b--", "boundary=b"},
          {"--b\r\nContent-Disposition: form-data; filename=x\r\n\r\nx\r\n--b--", "boundary=b"},
          {"--bgarbage\r\n", "boundary=b"},
        }) {
      assertThrows(
          MultipartForm.MalformedException.class,
          () -> MultipartForm.parse(bytes(bad[0]), "multipart/form-data; " + bad[1]),
          bad[0]);
    }
  }

  @Test
  void headerParametersAreReadAsTokensOrQuotedStrings() {
    Map<String, String> params = new HashMap<>();
    assertEquals(
        "form-data",
        MultipartForm.parseHeaderValue(
            " Form-Data ; NAME=file; flag; filename=\"x;y\\\\z\"", params));
    assertEquals("file", params.get("name"));
    assertEquals("x;y\\z", params.get("filename"));
  }
}
