package ai.dstack.server.workers;

import ai.dstack.server.db.InstantText;
import ai.dstack.server.settings.DatabaseUrl.Dialect;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Query;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The SQL of leases. Times and ids are bound as text, which SQLite compares as stored and
 * PostgreSQL casts to timestamptz and uuid.
 */
final class LeaseStatements {
  private static final String FREE = "(lock_expires_at IS NULL OR lock_expires_at < ?)";

  private LeaseStatements() {}

  /**
   * Claims up to {@code limit} eligible rows, oldest processed first. On PostgreSQL, {@code SKIP
   * LOCKED} keeps replicas from ever claiming the same row; SQLite has one writer at a time.
   */
  static List<String> claim(
      EntityManager em,
      Dialect dialect,
      Pipeline<?> pipeline,
      PipelineSettings settings,
      Instant now,
      int limit,
      String token,
      String owner) {
    String order =
        (pipeline.priority() == null ? "" : pipeline.priority() + ", ") + "last_processed_at, id";
    List<?> rows =
        bind(
                em.createNativeQuery(
                    "SELECT id FROM "
                        + pipeline.table()
                        + " WHERE ("
                        + pipeline.eligible()
                        + ") AND "
                        + FREE
                        + " AND last_processed_at <= ? ORDER BY "
                        + order
                        + " LIMIT "
                        + limit
                        + (dialect == Dialect.POSTGRESQL ? " FOR UPDATE SKIP LOCKED" : "")),
                time(now),
                time(now.minus(settings.minInterval())))
            .getResultList();
    List<String> ids = rows.stream().map(Object::toString).toList();
    if (!ids.isEmpty()) {
      Query update =
          em.createNativeQuery(
              "UPDATE "
                  + pipeline.table()
                  + " SET lock_token = ?, lock_owner = ?, lock_expires_at = ? WHERE id IN ("
                  + placeholders(ids.size())
                  + ")");
      bind(update, token, owner, time(now.plus(settings.leaseTimeout())));
      for (int i = 0; i < ids.size(); i++) {
        update.setParameter(4 + i, ids.get(i));
      }
      update.executeUpdate();
    }
    return ids;
  }

  static boolean lockOne(
      EntityManager em,
      String table,
      String id,
      String token,
      String owner,
      Instant now,
      Instant expires) {
    return bind(
                em.createNativeQuery(
                    "UPDATE "
                        + table
                        + " SET lock_token = ?, lock_owner = ?, lock_expires_at = ?"
                        + " WHERE id = ? AND "
                        + FREE),
                token,
                owner,
                time(expires),
                id,
                time(now))
            .executeUpdate()
        == 1;
  }

  /**
   * Clears the lease if it is still this token's; {@code processedAt} (when not null) becomes the
   * row's {@code last_processed_at}. False: the lease was lost, nothing changed.
   */
  static boolean release(
      EntityManager em, String table, String id, String token, Instant processedAt) {
    String sql =
        "UPDATE "
            + table
            + " SET lock_token = NULL, lock_owner = NULL, lock_expires_at = NULL"
            + (processedAt != null ? ", last_processed_at = ?" : "")
            + " WHERE id = ? AND lock_token = ?";
    Query query = em.createNativeQuery(sql);
    if (processedAt != null) {
      bind(query, time(processedAt), id, token);
    } else {
      bind(query, id, token);
    }
    return query.executeUpdate() == 1;
  }

  /** Pushes the expiry of every row of {@code table} leased under these tokens. */
  static int extend(EntityManager em, String table, Collection<String> tokens, Instant expires) {
    Query query =
        em.createNativeQuery(
            "UPDATE "
                + table
                + " SET lock_expires_at = ? WHERE lock_token IN ("
                + placeholders(tokens.size())
                + ")");
    query.setParameter(1, time(expires));
    int i = 2;
    for (String token : tokens) {
      query.setParameter(i++, token);
    }
    return query.executeUpdate();
  }

  private static Query bind(Query query, Object... values) {
    for (int i = 0; i < values.length; i++) {
      query.setParameter(i + 1, values[i]);
    }
    return query;
  }

  private static String time(Instant instant) {
    return InstantText.format(instant);
  }

  private static String placeholders(int count) {
    return java.util.stream.IntStream.range(0, count)
        .mapToObj(i -> "?")
        .collect(Collectors.joining(", "));
  }
}
