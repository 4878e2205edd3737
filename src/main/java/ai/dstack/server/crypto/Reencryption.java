package ai.dstack.server.crypto;

import ai.dstack.server.ServerContext;
import ai.dstack.server.db.Database;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import jakarta.persistence.EntityManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * Rewrites every encrypted value with the current first key, so old keys can really be removed
 * (upstream only re-encrypts a value when something else rewrites it). Batches commit on their own
 * and only rows not yet under the first key are selected, so an interrupted run resumes where it
 * stopped; each row is updated only if it still holds the text that was read, so a concurrent write
 * (from this or another replica) is never overwritten.
 */
@ApplicationScoped
public class Reencryption {
  private static final Logger log = Logger.getLogger(Reencryption.class.getName());

  @Inject private ServerContext server;
  private final AtomicBoolean running = new AtomicBoolean();

  @JsonbPropertyOrder({"column", "keys"})
  public record ColumnKeys(String column, Map<String, Long> keys) {}

  @JsonbPropertyOrder({"column", "reencrypted", "undecryptable", "remaining"})
  public record ColumnResult(String column, long reencrypted, long undecryptable, long remaining) {}

  public record Result(String key, List<ColumnResult> columns, List<String> keysInUse) {}

  /** Which keys ({@code type:name}) the stored values of each column are under, with counts. */
  public List<ColumnKeys> keysInUse() {
    Database db = server.database();
    List<ColumnKeys> columns = new ArrayList<>();
    for (EncryptedColumn column : EncryptedColumn.ALL) {
      Map<String, Long> counts = new TreeMap<>();
      db.read(
          em -> {
            em.createNativeQuery(
                    "SELECT "
                        + column.column()
                        + " FROM "
                        + column.table()
                        + " WHERE "
                        + column.column()
                        + " IS NOT NULL")
                .getResultStream()
                .forEach(
                    stored -> {
                      String key = EncryptionKeys.keyOf((String) stored);
                      counts.merge(key == null ? "(not in the stored format)" : key, 1L, Long::sum);
                    });
            return null;
          });
      columns.add(new ColumnKeys(column.qualifiedName(), counts));
    }
    return columns;
  }

  /** The keys any column's values are under, sorted. */
  public static List<String> distinctKeys(List<ColumnKeys> columns) {
    return columns.stream().flatMap(c -> c.keys().keySet().stream()).distinct().sorted().toList();
  }

  /** Configured keys no stored value needs; the first key and identity always stay. */
  public static List<String> removableKeys(List<String> inUse) {
    EncryptionKeys keys = EncryptionKeys.current();
    return keys.keys().stream()
        .filter(k -> k != keys.writeKey() && !(k instanceof IdentityKey))
        .map(EncryptionKey::id)
        .filter(id -> !inUse.contains(id))
        .toList();
  }

  /**
   * Re-encrypts up to {@code maxRows} values (all when null), {@code batchSize} rows per
   * transaction. Values no configured key can read are left as they are and counted.
   */
  public Result run(int batchSize, Long maxRows) {
    if (!running.compareAndSet(false, true)) {
      throw new IllegalStateException("A re-encryption is already running on this replica");
    }
    try {
      EncryptionKeys keys = EncryptionKeys.current();
      String writePrefix = keys.writePrefix();
      long budget = maxRows == null ? Long.MAX_VALUE : maxRows;
      List<ColumnResult> results = new ArrayList<>();
      for (EncryptedColumn column : EncryptedColumn.ALL) {
        long[] counts = reencrypt(column, keys, writePrefix, batchSize, budget);
        budget -= counts[0] + counts[1];
        results.add(
            new ColumnResult(
                column.qualifiedName(), counts[0], counts[1], remaining(column, writePrefix)));
      }
      return new Result(keys.writeKey().id(), results, distinctKeys(keysInUse()));
    } finally {
      running.set(false);
    }
  }

  /** {reencrypted, undecryptable} for one column. */
  private long[] reencrypt(
      EncryptedColumn column, EncryptionKeys keys, String writePrefix, int batchSize, long budget) {
    Database db = server.database();
    long reencrypted = 0;
    long undecryptable = 0;
    String afterId = null;
    while (reencrypted + undecryptable < budget) {
      int limit = (int) Math.min(batchSize, budget - reencrypted - undecryptable);
      String from = afterId;
      List<Object[]> rows = db.read(em -> batch(em, column, writePrefix, from, limit));
      if (rows.isEmpty()) {
        break;
      }
      long[] done = {0, 0};
      db.txRun(
          em -> {
            for (Object[] row : rows) {
              String id = row[0].toString();
              String stored = (String) row[1];
              SecretText value = keys.decrypt(stored);
              if (!value.readable()) {
                done[1]++;
                continue;
              }
              int updated =
                  em.createNativeQuery(
                          "UPDATE "
                              + column.table()
                              + " SET "
                              + column.column()
                              + " = ?"
                              + " WHERE id = ? AND "
                              + column.column()
                              + " = ?")
                      .setParameter(1, keys.encrypt(value.plaintext()))
                      .setParameter(2, id)
                      .setParameter(3, stored)
                      .executeUpdate();
              // zero rows: rewritten concurrently, and a rewrite uses the first key anyway
              done[0] += updated;
            }
          });
      reencrypted += done[0];
      undecryptable += done[1];
      afterId = rows.get(rows.size() - 1)[0].toString();
      log.info(
          "Re-encrypting "
              + column.qualifiedName()
              + ": "
              + reencrypted
              + " re-encrypted, "
              + undecryptable
              + " undecryptable so far");
    }
    return new long[] {reencrypted, undecryptable};
  }

  @SuppressWarnings("unchecked")
  private static List<Object[]> batch(
      EntityManager em, EncryptedColumn column, String writePrefix, String afterId, int limit) {
    String sql =
        "SELECT id, "
            + column.column()
            + " FROM "
            + column.table()
            + " WHERE "
            + column.column()
            + " IS NOT NULL AND "
            + column.column()
            + " NOT LIKE ?"
            + (afterId == null ? "" : " AND id > ?")
            + " ORDER BY id LIMIT "
            + limit;
    var query = em.createNativeQuery(sql).setParameter(1, writePrefix + "%");
    if (afterId != null) {
      query.setParameter(2, afterId);
    }
    return query.getResultList();
  }

  private long remaining(EncryptedColumn column, String writePrefix) {
    return server
        .database()
        .read(
            em ->
                ((Number)
                        em.createNativeQuery(
                                "SELECT COUNT(*) FROM "
                                    + column.table()
                                    + " WHERE "
                                    + column.column()
                                    + " IS NOT NULL AND "
                                    + column.column()
                                    + " NOT LIKE ?")
                            .setParameter(1, writePrefix + "%")
                            .getSingleResult())
                    .longValue());
  }
}
