package ai.dstack.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.dstack.server.users.boundary.UserViews;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class JsonOutputTest {
  @Test
  void writesUpstreamsFieldNamesOrderNullsAndDatetimes() {
    UserViews.User user =
        new UserViews.User(
            "0b0a2c1e-8c3e-4d8e-9f5a-6b1e2d3c4f5a",
            "alice",
            Instant.parse("2023-01-02T03:04:00Z"),
            "user",
            null,
            true,
            new UserViews.UserPermissions(true),
            "ssh-rsa AAAA alice\n");
    assertEquals(
        "{\"id\":\"0b0a2c1e-8c3e-4d8e-9f5a-6b1e2d3c4f5a\",\"username\":\"alice\","
            + "\"created_at\":\"2023-01-02T03:04:00+00:00\",\"global_role\":\"user\","
            + "\"email\":null,\"active\":true,\"permissions\":{\"can_create_projects\":true},"
            + "\"ssh_public_key\":\"ssh-rsa AAAA alice\\n\"}",
        JsonOutput.toJson(user));
  }

  @Test
  void microsecondsAppearOnlyWhenNonZero() {
    assertEquals(
        "2026-11-28T22:25:49.075443+00:00",
        JsonOutput.datetime(Instant.parse("2026-11-28T22:25:49.075443Z")));
    assertEquals(
        "2026-11-28T22:25:49+00:00", JsonOutput.datetime(Instant.parse("2026-11-28T22:25:49Z")));
  }
}
