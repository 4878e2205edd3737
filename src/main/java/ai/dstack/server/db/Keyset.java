package ai.dstack.server.db;

import jakarta.persistence.Query;
import java.time.Instant;

/**
 * Upstream's keyset pagination (API.md §1.8): descending is {@code ts DESC, id ASC} continuing
 * after {@code (prev_ts, prev_id)}; ascending mirrors it. {@code prev_id} alone is ignored.
 */
public record Keyset(Instant prevTs, String prevId, int limit, boolean ascending) {

  /**
   * The JPQL condition (with a leading {@code AND}), empty without a cursor; always false for
   * {@code limit} 0.
   */
  public String condition(String ts, String id) {
    if (limit == 0) {
      // setMaxResults(0) would mean "no limit"; upstream's LIMIT 0 returns nothing
      return " AND 1 = 0";
    }
    if (prevTs == null) {
      return "";
    }
    String op = ascending ? ">" : "<";
    if (prevId == null) {
      return " AND " + ts + " " + op + " :keysetTs";
    }
    String idOp = ascending ? "<" : ">";
    return " AND ("
        + ts
        + " "
        + op
        + " :keysetTs OR ("
        + ts
        + " = :keysetTs AND "
        + id
        + " "
        + idOp
        + " :keysetId))";
  }

  public String orderBy(String ts, String id) {
    return ascending
        ? " ORDER BY " + ts + " ASC, " + id + " DESC"
        : " ORDER BY " + ts + " DESC, " + id + " ASC";
  }

  public <Q extends Query> Q bind(Q query) {
    if (prevTs != null) {
      query.setParameter("keysetTs", prevTs);
      if (prevId != null) {
        query.setParameter("keysetId", prevId);
      }
    }
    query.setMaxResults(limit);
    return query;
  }

  /** A case-insensitive substring pattern for {@code LIKE … ESCAPE '\'}, or null for none. */
  public static String likePattern(String namePattern) {
    if (namePattern == null || namePattern.isEmpty()) {
      return null;
    }
    return "%" + namePattern.toLowerCase().replace("\\", "\\\\").replace("_", "\\_") + "%";
  }
}
