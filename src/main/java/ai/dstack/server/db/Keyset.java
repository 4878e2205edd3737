package ai.dstack.server.db;

import jakarta.persistence.EntityManager;
import jakarta.persistence.Query;
import jakarta.persistence.TypedQuery;
import java.time.Instant;
import java.util.List;
import java.util.Map;

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

  /** One page of a list, and the number of rows the filter matches when it was asked for. */
  public record Page<T>(List<T> items, Long totalCount) {}

  /**
   * Lists {@code entity} rows (alias {@code e}, paged on {@code e.createdAt}, {@code e.id})
   * matching a JPQL {@code filter} with its named {@code params}; counts them too if asked.
   */
  public <T> Page<T> page(
      EntityManager em,
      Class<T> entity,
      String filter,
      Map<String, Object> params,
      boolean withTotalCount) {
    String from = " FROM " + entity.getSimpleName() + " e WHERE " + filter;
    TypedQuery<T> query =
        em.createQuery(
            "SELECT e" + from + condition("e.createdAt", "e.id") + orderBy("e.createdAt", "e.id"),
            entity);
    params.forEach(query::setParameter);
    List<T> items = results(query);
    Long total = null;
    if (withTotalCount) {
      TypedQuery<Long> count = em.createQuery("SELECT COUNT(e)" + from, Long.class);
      params.forEach(count::setParameter);
      total = count.getSingleResult();
    }
    return new Page<>(items, total);
  }

  /** A case-insensitive substring pattern for {@code LIKE … ESCAPE '\'}, or null for none. */
  public static String likePattern(String namePattern) {
    if (namePattern == null || namePattern.isEmpty()) {
      return null;
    }
    return "%" + namePattern.toLowerCase().replace("\\", "\\\\").replace("_", "\\_") + "%";
  }
}
