package ai.dstack.server.it.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.dstack.server.it.Api;
import ai.dstack.server.it.DstackServer;
import ai.dstack.server.it.TestDatabases;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Replicas starting together on one PostgreSQL: migrations and bootstrap run once. */
class ReplicasIT {
  @TempDir Path home;

  @Test
  void twoReplicasStartingTogetherShareOneSchemaOneAdminAndOneMainProject() throws Exception {
    String database = TestDatabases.freshPostgres();
    try (DstackServer a = new DstackServer(home.resolve("a")).env("DSTACK_DATABASE_URL", database);
        DstackServer b = new DstackServer(home.resolve("b")).env("DSTACK_DATABASE_URL", database)) {
      CompletableFuture<Void> startA = CompletableFuture.runAsync(() -> start(a));
      CompletableFuture<Void> startB = CompletableFuture.runAsync(() -> start(b));
      CompletableFuture.allOf(startA, startB).join();

      assertEquals(a.adminToken(), b.adminToken(), "one admin, created once");
      Api viaB = new Api(b.url(), b.adminToken());
      var users = viaB.post("/api/users/list", "{\"return_total_count\":true}");
      assertEquals(1, users.object().getInt("total_count"), users.text());
      var projects =
          viaB.post(
              "/api/projects/list", "{\"name_pattern\":\"main\",\"return_total_count\":true}");
      assertEquals(1, projects.object().getInt("total_count"), projects.text());

      String name = Api.uniqueName("replica");
      Api viaA = new Api(a.url(), a.adminToken());
      viaA.createUser(name, "user");
      assertEquals(
          200, viaB.post("/api/users/get_user", "{\"username\":\"" + name + "\"}").status());
    }
  }

  private static void start(DstackServer server) {
    try {
      server.start();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
