package ai.dstack.server.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.crypto.SecretText;
import ai.dstack.server.it.TestDatabases;
import ai.dstack.server.settings.DatabaseUrl;
import ai.dstack.server.users.entity.GlobalRole;
import ai.dstack.server.users.entity.UserEntity;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The persistence layer on both databases, outside any container. */
class DatabaseTest {
  @TempDir static Path dir;

  static Stream<Arguments> databases() {
    return Stream.of(
        Arguments.of(DatabaseUrl.sqlite(dir.resolve(UUID.randomUUID() + ".db"))),
        Arguments.of(DatabaseUrl.parse(TestDatabases.freshPostgres())));
  }

  @ParameterizedTest
  @MethodSource("databases")
  void timestampsRoundTripWithMicrosecondsAndKeysetPagesInBothDirections(DatabaseUrl url) {
    try (Database db = Database.open(url, 4)) {
      Instant base = Instant.parse("2026-01-02T03:04:05.123456Z");
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        // two rows share a timestamp: the id breaks the tie
        Instant created = base.plusSeconds(i == 4 ? 3 : i);
        ids.add(db.tx(em -> persistUser(em, created).getId()));
      }
      UserEntity first = db.read(em -> em.find(UserEntity.class, ids.get(0)));
      assertEquals(base, first.getCreatedAt());

      List<String> descending = new ArrayList<>();
      Keyset page = new Keyset(null, null, 2, false);
      while (true) {
        Keyset current = page;
        List<UserEntity> rows =
            db.read(
                em ->
                    current
                        .bind(
                            em.createQuery(
                                "SELECT u FROM UserEntity u WHERE u.deleted = FALSE"
                                    + current.condition("u.createdAt", "u.id")
                                    + current.orderBy("u.createdAt", "u.id"),
                                UserEntity.class))
                        .getResultList());
        if (rows.isEmpty()) {
          break;
        }
        rows.forEach(u -> descending.add(u.getId()));
        UserEntity last = rows.get(rows.size() - 1);
        page = new Keyset(last.getCreatedAt(), last.getId(), 2, false);
      }
      assertEquals(5, descending.size(), "every row exactly once");
      assertEquals(
          ids.get(3).compareTo(ids.get(4)) < 0 ? ids.get(3) : ids.get(4), descending.get(0));
      assertEquals(ids.get(0), descending.get(4));
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void concurrentReadThenWriteTransactionsNeverFail(DatabaseUrl url) throws Exception {
    try (Database db = Database.open(url, 8)) {
      String id = db.tx(em -> persistUser(em, Times.now()).getId());
      ExecutorService pool = Executors.newFixedThreadPool(16);
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        futures.add(
            pool.submit(
                () ->
                    db.txRun(
                        em -> {
                          db.advisoryXactLock(em, "counter");
                          UserEntity u = em.find(UserEntity.class, id);
                          em.refresh(u);
                          u.setProjectsQuota(u.getProjectsQuota() + 1);
                        })));
      }
      for (Future<?> f : futures) {
        f.get();
      }
      pool.shutdown();
      assertEquals(210, db.read(em -> em.find(UserEntity.class, id)).getProjectsQuota());
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void upstreamsAlembicSchemaIsRefusedAndLeftAlone(DatabaseUrl url) throws Exception {
    String jdbc = url.jdbcUrl() + (url.user() != null ? "?user=" + url.user() : "");
    try (Connection c = DriverManager.getConnection(jdbc);
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)");
    }
    var e = assertThrows(DatabaseStartupException.class, () -> Database.open(url, 4));
    assertTrue(e.getMessage().contains("holds upstream dstack's schema"), e.getMessage());
    try (Connection c = DriverManager.getConnection(jdbc);
        ResultSet tables = c.getMetaData().getTables(null, null, "%", new String[] {"TABLE"})) {
      List<String> names = new ArrayList<>();
      while (tables.next()) {
        names.add(tables.getString("TABLE_NAME"));
      }
      assertEquals(List.of("alembic_version"), names, "no migration ran");
    }
  }

  private static UserEntity persistUser(jakarta.persistence.EntityManager em, Instant created) {
    UserEntity u = new UserEntity();
    u.setId(UUID.randomUUID().toString());
    u.setName("u" + u.getId().substring(0, 8));
    u.setCreatedAt(created);
    u.setToken(SecretText.of(UUID.randomUUID().toString()));
    u.setTokenHash(UUID.randomUUID().toString());
    u.setGlobalRole(GlobalRole.USER);
    u.setActive(true);
    u.setProjectsQuota(10);
    em.persist(u);
    return u;
  }
}
