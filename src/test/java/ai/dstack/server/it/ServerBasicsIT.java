package ai.dstack.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
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
    Api.Reply reply = api.send("GET", "/healthcheck", null, null, Map.of());
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

  @Test
  void pagePathsServeTheUiWhileApiAndAssetPathsKeepTheirOwnAnswers(Api api) {
    for (String page : List.of("/", "/runs", "/projects/main/runs/some-run", "/users/admin")) {
      Api.Reply reply = get(api, page);
      assertEquals(200, reply.status(), page);
      assertTrue(reply.header("Content-Type").startsWith("text/html"), page);
      assertTrue(reply.text().contains("<script type=\"module\" src=\"/ui/app.js\">"), page);
      assertEquals("no-cache", reply.header("Cache-Control"), page);
    }
    Api.Reply unknownApi = get(api, "/api/no/such/route");
    assertEquals(404, unknownApi.status());
    assertEquals("{\"detail\":\"Not Found\"}", unknownApi.text());
    assertEquals(404, get(api, "/ui/no-such-module.js").status());
    assertEquals(404, get(api, "/WEB-INF/web.xml").status());
    // a page path is only ever read: other methods get no page
    assertEquals(404, api.send("POST", "/runs", null, "{}", Map.of()).status());
    Api.Reply module = get(api, "/ui/app.js");
    assertEquals(200, module.status());
    assertTrue(module.header("Content-Type").startsWith("application/javascript"));
    Api.Reply yaml = get(api, "/webjars/js-yaml/4.1.0/dist/js-yaml.mjs");
    assertEquals(200, yaml.status());
    assertTrue(yaml.header("Content-Type").startsWith("text/javascript"));
  }

  private static Api.Reply get(Api api, String path) {
    return api.send("GET", path, null, null, Map.of());
  }
}
