package ai.dstack.server.db;

import jakarta.persistence.Query;
import jakarta.persistence.TypedQuery;
import java.time.Instant;
import java.util.List;

/**
 * Upstream's keyset pagination (API.md §1.8): descending is {@code ts DESC, id ASC} continuing
 * after {@code (prev_ts, prev_id)}; ascending mirrors it. {@code prev_id} alone is ignored.
 */
public record Keyset(Instant prevTs, String prevId, int limit, boolean ascending) {

  /** The JPQL condition (with a leading {@code AND}), empty without a cursor. */
  public String condition(String ts, String id) {
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

  /**
   * Binds the cursor and runs the query. {@code limit: 0} is an empty page, as upstream's {@code
   * LIMIT 0}; JPA would read a maximum of 0 results as "no limit".
   */
  public <T> List<T> results(TypedQuery<T> query) {
    return limit == 0 ? List.of() : bind(query).getResultList();
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
