package ai.dstack.server.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

class UploadTest {
  @Test
  void sizesAreFormattedAsUpstreamsSizeofFmt() {
    assertEquals("0.0B", Upload.sizeOf(0));
    assertEquals("1023.0B", Upload.sizeOf(1023));
    assertEquals("1.0KiB", Upload.sizeOf(1024));
    assertEquals("2.0MiB", Upload.sizeOf(2L * 1024 * 1024));
    assertEquals("2.5MiB", Upload.sizeOf(2621440));
    // 2.25 is exact in binary: Python rounds half to even
    assertEquals("2.2KiB", Upload.sizeOf(2304));
    assertEquals("1.0GiB", Upload.sizeOf(1L << 30));
  }

  @Test
  void aSizeThatPrintsLikeTheLimitIsGivenInBytes() {
    ApiException e = Upload.tooLarge(Upload.Kind.CODE, 2097153, 2097152);
    assertEquals(
        "Repo diff size is 2097153B, which exceeds the limit of 2097152B. Use .gitignore to"
            + " exclude large files from the repo. This limit can be modified by setting the"
            + " DSTACK_SERVER_CODE_UPLOAD_LIMIT environment variable.",
        e.body().asJsonObject().getJsonArray("detail").getJsonObject(0).getString("msg"));
    ApiException archive = Upload.tooLarge(Upload.Kind.ARCHIVE, 3L * 1024 * 1024, 2097152);
    assertEquals(
        "Archive size is 3.0MiB, which exceeds the limit of 2.0MiB. Use .gitignore/.dstackignore"
            + " to exclude large files. This limit can be modified by setting the"
            + " DSTACK_SERVER_CODE_UPLOAD_LIMIT environment variable.",
        archive.body().asJsonObject().getJsonArray("detail").getJsonObject(0).getString("msg"));
  }

  @Test
  void aBodyWithinTheLimitIsReadWhole() {
    byte[] body = new byte[100];
    assertArrayEquals(
        body, Upload.readBounded(new ByteArrayInputStream(body), 100, Upload.Kind.CODE));
    assertArrayEquals(
        body, Upload.readBounded(new ByteArrayInputStream(body), 0, Upload.Kind.CODE));
  }

  @Test
  void anOversizedBodyIsCountedNotKept() {
    long size = 10_000_000;
    InputStream endless =
        new InputStream() {
          long left = size;

          @Override
          public int read() {
            return left-- > 0 ? 'x' : -1;
          }

          @Override
          public int read(byte[] b, int off, int len) {
            if (left <= 0) {
              return -1;
            }
            int n = (int) Math.min(len, left);
            left -= n;
            return n;
          }
        };
    ApiException e =
        assertThrows(
            ApiException.class, () -> Upload.readBounded(endless, 1000, Upload.Kind.ARCHIVE));
    assertEquals(400, e.status());
    String msg = e.body().asJsonObject().getJsonArray("detail").getJsonObject(0).getString("msg");
    assertTrue(msg.startsWith("Archive size is 9.5MiB, which exceeds the limit of 1000.0B."), msg);
  }
}
