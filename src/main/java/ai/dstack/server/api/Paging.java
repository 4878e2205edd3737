package ai.dstack.server.api;

import ai.dstack.server.api.json.JsonInput;
import ai.dstack.server.db.Keyset;
import java.time.Instant;
import java.util.UUID;
import java.util.regex.Pattern;

/** The request fields upstream's list endpoints share (API.md §1.8). */
public final class Paging {
  /** {@code name_pattern} of users/projects lists. */
  public static final Pattern NAME_PATTERN = Pattern.compile("^[a-zA-Z0-9-_]*$");

  private Paging() {}

  /**
   * {@code prev_created_at}, {@code prev_id}, {@code limit} (0..max, default max), {@code
   * ascending}.
   */
  public static Keyset keyset(JsonInput in, int maxLimit) {
    Instant prevCreatedAt = in.optDatetime("prev_created_at");
    UUID prevId = in.optUuid("prev_id");
    Integer limit = in.integer("limit", maxLimit, 0, maxLimit);
    boolean ascending = in.bool("ascending", false);
    return new Keyset(
        prevCreatedAt,
        prevId == null ? null : prevId.toString(),
        limit == null ? maxLimit : limit,
        ascending);
  }
}
