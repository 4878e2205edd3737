package ai.dstack.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedServer.class)
class ServerBasicsIT {
  @Test
  void reportsTheUpstreamVersionWithoutAToken(Api api) {
    Api.Reply reply = api.post("/api/server/get_info", null, null);
    assertEquals(200, reply.status());
    assertEquals("{\"server_version\":\"0.20.29\"}", reply.text());
  }

  @Test
  void healthcheckSaysRunning(Api api) {
    Api.Reply reply = api.send("GET", "/healthcheck", null, null, java.util.Map.of());
    assertEquals(200, reply.status());
    assertEquals("running", reply.object().getString("status"));
  }

  @Test
  void adminCanReadItsOwnUser(Api api) {
    Api.Reply reply = api.post("/api/users/get_my_user", null);
    assertEquals(200, reply.status());
    assertEquals("admin", reply.object().getString("username"));
    assertTrue(reply.object().getString("ssh_public_key").endsWith(" admin\n"));
  }
}
