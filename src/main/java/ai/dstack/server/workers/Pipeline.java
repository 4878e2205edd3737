package ai.dstack.server.workers;

import jakarta.persistence.EntityManager;
import java.util.List;

/**
 * One kind of resource the engine moves forward: which rows are eligible, and the three steps for
 * one row. The table needs {@code id}, {@code last_processed_at} (never null) and the lease columns
 * {@code lock_token}, {@code lock_owner}, {@code lock_expires_at}.
 *
 * @param <T> what {@link #load} reads for {@link #process}
 */
public interface Pipeline<T> {
  /** Names the pipeline in logs, hints, lease owners and settings ({@code [a-z_]+}). */
  String name();

  String table();

  /** An SQL condition on the table's columns, e.g. {@code status IN ('PENDING', 'IDLE')}. */
  String eligible();

  /** ORDER BY terms that go before {@code last_processed_at} (e.g. {@code priority DESC}). */
  default String priority() {
    return null;
  }

  PipelineSettings defaults();

  /**
   * A short transaction reading what processing needs. Returns null when there is nothing to do
   * (the row is gone); throws {@link Lease.Busy} when a related row is leased elsewhere, to retry
   * at the next fetch. Related rows are leased here with {@link Lease#lockRelated}.
   */
  T load(EntityManager em, Lease lease);

  /**
   * The slow part (SSH, HTTP, cloud calls), run with no database connection. Returns the writes to
   * make; they run only if the lease is still held.
   */
  Apply process(T item, Lease lease) throws Exception;

  /** Writes made in the apply transaction, after the engine has verified and released the lease. */
  @FunctionalInterface
  interface Apply {
    Apply NOTHING = em -> {};

    void apply(EntityManager em);

    /** Pipelines to wake once these writes are committed. */
    default List<String> hints() {
      return List.of();
    }

    /** These writes, then a wake-up for the pipelines that take the rows on from there. */
    static Apply hinting(Apply writes, String... pipelines) {
      List<String> names = List.of(pipelines);
      return new Apply() {
        @Override
        public void apply(EntityManager em) {
          writes.apply(em);
        }

        @Override
        public List<String> hints() {
          return names;
        }
      };
    }
  }
}
