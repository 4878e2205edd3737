package ai.dstack.server.backends.control;

import ai.dstack.server.config.schema.PlainTree;
import jakarta.json.Json;
import jakarta.json.JsonException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The file references of config.yml backends, read while the file is validated, as upstream's root
 * validators do: {@code ~} is the home directory, a relative path is relative to the server's
 * working directory (not to config.yml).
 */
final class BackendFiles {
  private final Path home;

  BackendFiles(Path home) {
    this.home = home;
  }

  /** The server's home: {@code $HOME}, else the JVM's user.home (as Settings reads it). */
  static BackendFiles ofProcess() {
    String home = System.getenv("HOME");
    return new BackendFiles(
        Path.of(home == null || home.isBlank() ? System.getProperty("user.home") : home));
  }

  Path resolve(String filename) {
    if (filename.equals("~")) {
      return home;
    }
    if (filename.startsWith("~/")) {
      return home.resolve(filename.substring(2));
    }
    return Path.of(filename);
  }

  /**
   * Fills {@code dataField} from the file named by {@code filenameField} unless it is given
   * (upstream's {@code fill_data}).
   */
  Map<String, Object> fillData(Map<String, Object> values, String filenameField, String dataField) {
    if (values.get(dataField) != null) {
      return values;
    }
    Object filename = values.get(filenameField);
    if (filename == null) {
      throw new IllegalArgumentException(
          "Either `" + filenameField + "` or `" + dataField + "` must be specified");
    }
    Map<String, Object> filled = new LinkedHashMap<>(values);
    filled.put(dataField, read(filename.toString()));
    return filled;
  }

  /**
   * Nebius service account credentials: a {@code filename} (the JSON the Nebius CLI writes) gives
   * the account, key id and private key; otherwise the key comes from {@code private_key_file}.
   */
  Map<String, Object> fillNebiusCreds(Map<String, Object> values) {
    Object filename = values.get("filename");
    if (filename == null || filename.toString().isEmpty()) {
      return fillData(values, "private_key_file", "private_key_content");
    }
    String text = read(filename.toString());
    Map<String, Object> filled = new LinkedHashMap<>(values);
    try {
      Object json = PlainTree.fromJson(Json.createReader(new StringReader(text)).readValue());
      if (!(json instanceof Map<?, ?> file)
          || !(file.get("subject-credentials") instanceof Map<?, ?> subject)) {
        throw new IllegalStateException("no subject-credentials object");
      }
      filled.put("service_account_id", text(subject, "sub"));
      filled.put("public_key_id", text(subject, "kid"));
      filled.put("private_key_content", text(subject, "private-key"));
    } catch (JsonException | IllegalStateException e) {
      throw new IllegalArgumentException(
          "Failed to parse credentials file " + filename + ": " + e.getMessage());
    }
    return filled;
  }

  private static String text(Map<?, ?> object, String key) {
    if (!(object.get(key) instanceof String value)) {
      throw new IllegalStateException("missing " + key);
    }
    return value;
  }

  private String read(String filename) {
    try {
      return Files.readString(resolve(filename), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException("No such file " + filename);
    }
  }
}
