package ai.dstack.server.settings;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.logging.Logger;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The local CLI's {@code ~/.dstack/config.yml}: after startup the {@code main} project points at
 * this server, so {@code dstack} works right away (as upstream). An entry that differs is replaced
 * only with {@code DSTACK_UPDATE_DEFAULT_PROJECT} (upstream would ask; a server cannot).
 */
public final class ClientConfig {
  private static final Logger log = Logger.getLogger(ClientConfig.class.getName());

  private ClientConfig() {}

  public static void updateDefaultProject(Settings settings, String project, String token) {
    if (settings.doNotUpdateDefaultProject()) {
      return;
    }
    Path file = settings.clientConfigFile();
    try {
      Map<String, Object> config = read(file);
      List<Map<String, Object>> projects = projects(config);
      Map<String, Object> current =
          projects.stream()
              .filter(p -> Boolean.TRUE.equals(p.get("default")))
              .findFirst()
              .orElse(projects.isEmpty() ? null : projects.get(0));
      boolean same =
          current != null
              && project.equals(current.get("name"))
              && settings.serverUrl().equals(current.get("url"))
              && token.equals(current.get("token"));
      if (same || (current != null && !settings.updateDefaultProject())) {
        return;
      }
      projects.removeIf(p -> project.equals(p.get("name")));
      projects.forEach(p -> p.put("default", false));
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("default", true);
      entry.put("name", project);
      entry.put("token", token);
      entry.put("url", settings.serverUrl());
      projects.add(entry);
      config.put("projects", projects);
      write(file, config);
      log.info("Configured the " + project + " project in " + file);
    } catch (IOException | RuntimeException e) {
      log.warning("Could not update " + file + ": " + e.getMessage());
    }
  }

  private static Map<String, Object> read(Path file) throws IOException {
    if (!Files.exists(file)) {
      return new LinkedHashMap<>();
    }
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      Object loaded = new Yaml().load(reader);
      if (loaded instanceof Map<?, ?> map) {
        Map<String, Object> copy = new LinkedHashMap<>();
        map.forEach((k, v) -> copy.put(Objects.toString(k), v));
        return copy;
      }
      return new LinkedHashMap<>();
    }
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> projects(Map<String, Object> config) {
    List<Map<String, Object>> projects = new ArrayList<>();
    if (config.get("projects") instanceof List<?> list) {
      for (Object item : list) {
        if (item instanceof Map<?, ?> map) {
          projects.add(new LinkedHashMap<>((Map<String, Object>) map));
        }
      }
    }
    return projects;
  }

  private static void write(Path file, Map<String, Object> config) throws IOException {
    Files.createDirectories(file.getParent());
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    Path temp = file.resolveSibling(file.getFileName() + ".tmp");
    try (Writer writer = Files.newBufferedWriter(temp, StandardCharsets.UTF_8)) {
      new Yaml(options).dump(config, writer);
    }
    Files.move(temp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }
}
