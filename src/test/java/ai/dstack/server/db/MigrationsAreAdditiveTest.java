package ai.dstack.server.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * During a rolling upgrade the older replicas keep running on the schema the newer one migrated to,
 * so a migration may only add: no dropped or renamed tables and columns, no changed types, no new
 * NOT NULL on existing columns (README, "Several replicas").
 */
class MigrationsAreAdditiveTest {
  private static final Pattern DESTRUCTIVE =
      Pattern.compile(
          "(?i)\\bDROP\\s+(TABLE|COLUMN)\\b|\\bRENAME\\b|\\bALTER\\s+COLUMN\\s+\\w+\\s+(TYPE|SET\\s+NOT\\s+NULL)\\b|\\bALTER\\s+TABLE\\s+\\w+\\s+ALTER\\s+\\w+\\s+TYPE\\b");

  @Test
  void noMigrationTakesAwayWhatAnOlderReplicaReads() throws IOException {
    List<String> found = new ArrayList<>();
    int files = 0;
    try (Stream<Path> migrations = Files.walk(Path.of("src/main/resources/db/migration"))) {
      for (Path file : migrations.filter(p -> p.toString().endsWith(".sql")).toList()) {
        files++;
        String sql = Files.readString(file).replaceAll("--[^\\n]*", "");
        var matcher = DESTRUCTIVE.matcher(sql);
        while (matcher.find()) {
          found.add(file.getFileName() + ": " + matcher.group());
        }
      }
    }
    assertTrue(files >= 2, "no migrations found");
    assertEquals(List.of(), found);
  }
}
