package ai.dstack.server.crypto;

import java.util.List;

/** A column upstream stores with {@link EncryptedString} (SERVER.md §3.2, the exact list). */
public record EncryptedColumn(String table, String column) {
  /** Every encrypted column this server has; re-encryption and key reports walk these. */
  public static final List<EncryptedColumn> ALL =
      List.of(
          new EncryptedColumn("users", "token"),
          new EncryptedColumn("backends", "auth"),
          new EncryptedColumn("backends", "source_auth"),
          new EncryptedColumn("secrets", "value"),
          new EncryptedColumn("instances", "remote_connection_info"),
          new EncryptedColumn("repo_creds", "creds"));

  public String qualifiedName() {
    return table + "." + column;
  }
}
