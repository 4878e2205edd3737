package ai.dstack.server.crypto;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * Reports a stored value no configured key can decrypt, once per row and value, so a list that
 * loads the row on every call does not flood the log.
 */
public final class UndecryptableValues {
  private static final Logger log = Logger.getLogger(UndecryptableValues.class.getName());
  private static final Set<String> reported = ConcurrentHashMap.newKeySet();

  private UndecryptableValues() {}

  /** Call from an entity's {@code @PostLoad} for each encrypted column. */
  public static void check(String column, Object rowId, SecretText value) {
    if (value == null || value.readable()) {
      return;
    }
    if (reported.add(column + "|" + rowId + "|" + Hashes.sha256Hex(value.stored()))) {
      String key = EncryptionKeys.keyOf(value.stored());
      log.warning(
          "Cannot decrypt "
              + column
              + " of row "
              + rowId
              + ": stored with "
              + (key == null ? "no recognised key prefix" : "key " + key)
              + ", tried "
              + (value.keysTried().isEmpty()
                  ? "no key of that type"
                  : String.join(", ", value.keysTried()))
              + ". Add the key back to encryption.keys in config.yml");
    }
  }
}
