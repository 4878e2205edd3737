package ai.dstack.server.workers;

import ai.dstack.server.db.Times;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A row claimed by this replica: its id and the token every guarded write checks. Rows fetched
 * together share a token; related rows leased for it carry the same token and are extended and
 * released with it.
 */
public final class Lease {
  private final String table;
  private final String id;
  private final String token;
  private final String owner;
  private final Duration timeout;
  private final List<Related> related = new CopyOnWriteArrayList<>();

  record Related(String table, String id) {}

  /** Thrown by {@link Pipeline#load} when a related row is leased elsewhere: retry later. */
  public static class Busy extends RuntimeException {
    public Busy(String message) {
      super(message, null, false, false);
    }
  }

  Lease(String table, String id, String token, String owner, Duration timeout) {
    this.table = table;
    this.id = id;
    this.token = token;
    this.owner = owner;
    this.timeout = timeout;
  }

  public String id() {
    return id;
  }

  public String token() {
    return token;
  }

  String table() {
    return table;
  }

  String owner() {
    return owner;
  }

  List<Related> related() {
    return related;
  }

  /**
   * Leases another row (a job's instance, a fleet's instances) until this lease is released; false
   * when someone else holds it. Call from {@link Pipeline#load}.
   */
  public boolean lockRelated(EntityManager em, String relatedTable, String relatedId) {
    var now = Times.now();
    boolean taken =
        LeaseStatements.lockOne(
            em, relatedTable, relatedId, token, owner + ":" + id, now, now.plus(timeout));
    if (taken) {
      related.add(new Related(relatedTable, relatedId));
    }
    return taken;
  }

  @Override
  public String toString() {
    return table + " " + id;
  }
}
