package ai.dstack.server.it;

import static ai.dstack.server.it.Expect.assertBody;
import static ai.dstack.server.it.Expect.body;
import static ai.dstack.server.it.Expect.error;
import static ai.dstack.server.it.Expect.invalidToken;
import static ai.dstack.server.it.Expect.ok;
import static ai.dstack.server.it.Expect.parse;
import static ai.dstack.server.it.Expect.resourceNotExists;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** /api/files/*: each user's own file archives, uploaded as the CLI does. */
@ExtendWith(SharedServer.class)
class FilesApiIT {
  private static final String UPLOAD = "/api/files/upload_archive";
  private static final String BY_HASH = "/api/files/get_archive_by_hash";

  @Test
  void archivesAreStoredOncePerUserAndFoundByHashOnlyByTheirOwner(Api api, DstackServer server)
      throws Exception {
    String alice = api.createUser(Api.uniqueName("alice"), "user");
    String bob = api.createUser(Api.uniqueName("bob"), "user");
    byte[] tar = new byte[10_240];
    tar[0] = 'f';
    tar[9_999] = '\r';
    tar[10_000] = '\n';
    String hash = ReposApiIT.sha256(tar);

    JsonObject first = ok(api.upload(UPLOAD, alice, hash, tar));
    assertEquals(List.of("id", "hash"), List.copyOf(first.keySet()));
    assertEquals(hash, first.getString("hash"));
    String id = first.getString("id");
    assertEquals(4, UUID.fromString(id).version());
    assertEquals(first, ok(api.upload(UPLOAD, alice, hash, tar)), "same archive, same id");
    assertEquals(first, ok(api.post(BY_HASH, alice, body("hash", hash))));

    resourceNotExists(api.post(BY_HASH, bob, body("hash", hash)));
    resourceNotExists(api.post(BY_HASH, alice, body("hash", "0".repeat(64))));
    JsonObject bobs = ok(api.upload(UPLOAD, bob, hash, tar));
    assertNotEquals(id, bobs.getString("id"), "archives are per user");

    try (Connection db = DriverManager.getConnection(server.jdbcUrl());
        PreparedStatement query =
            db.prepareStatement("SELECT blob, blob_hash FROM file_archives WHERE id = ?")) {
      query.setObject(1, server.jdbcUrl().startsWith("jdbc:postgresql") ? UUID.fromString(id) : id);
      try (ResultSet row = query.executeQuery()) {
        assertTrue(row.next());
        assertArrayEquals(tar, row.getBytes(1));
        assertEquals(hash, row.getString(2));
        assertFalse(row.next());
      }
    }
  }

  @Test
  void oversizedArchivesAreRefusedWithUpstreamsMessage(Api api) throws Exception {
    byte[] big = new byte[3 * 1024 * 1024];
    String hash = ReposApiIT.sha256(big);
    error(
        api.upload(UPLOAD, api.adminToken(), hash, big),
        "Archive size is 3.0MiB, which exceeds the limit of 2.0MiB. Use .gitignore/.dstackignore"
            + " to exclude large files. This limit can be modified by setting the"
            + " DSTACK_SERVER_CODE_UPLOAD_LIMIT environment variable.");
    resourceNotExists(api.post(BY_HASH, body("hash", hash)));
  }

  @Test
  void badRequestsGetFastApisAnswers(Api api) {
    assertBody(
        api.post(BY_HASH, null),
        422,
        parse(
            "{\"detail\":[{\"loc\":[\"body\"],\"msg\":\"field required\","
                + "\"type\":\"value_error.missing\"}]}"));
    assertBody(
        api.post(BY_HASH, "{\"hash\":null}"),
        422,
        parse(
            "{\"detail\":[{\"loc\":[\"body\",\"hash\"],\"msg\":\"none is not an allowed value\","
                + "\"type\":\"type_error.none.not_allowed\"}]}"));
    assertBody(
        api.sendBytes(UPLOAD, api.adminToken(), new byte[0], null),
        422,
        parse(
            "{\"detail\":[{\"loc\":[\"body\",\"file\"],\"msg\":\"field required\","
                + "\"type\":\"value_error.missing\"}]}"));
    invalidToken(api.upload(UPLOAD, "not-a-token", "h", new byte[1]));
    assertEquals(401, api.post(BY_HASH, null, body("hash", "h")).status());
  }
}
