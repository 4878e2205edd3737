package ai.dstack.server.config;

import ai.dstack.server.crypto.EncryptionKey;
import ai.dstack.server.settings.DefaultPermissions;
import java.util.List;
import java.util.Map;

/**
 * A validated {@code config.yml} (SERVER.md §2). Absent optional sections are {@code null}, as
 * upstream distinguishes "not configured" from "empty".
 *
 * @param encryptionKeys {@code encryption.keys}, or null without an {@code encryption} section
 * @param defaultPermissions null without a {@code default_permissions} section
 * @param plugins null without a {@code plugins} key
 */
public record ServerConfig(
    List<ProjectConfig> projects,
    List<EncryptionKey> encryptionKeys,
    DefaultPermissions defaultPermissions,
    List<String> plugins) {

  /**
   * @param backends file-form backend configs, normalized by the backends schema; null when the
   *     project has no {@code backends} key
   */
  public record ProjectConfig(String name, List<Map<String, Object>> backends) {}
}
