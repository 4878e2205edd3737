package ai.dstack.server.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code docker/entrypoint.sh} with stand-ins for {@code litestream}, {@code java} and {@code curl}
 * on PATH that write down how they were called; the real launcher runs in between.
 */
class DockerEntrypointTest {
  private static final Path ENTRYPOINT = Path.of("docker/entrypoint.sh").toAbsolutePath();
  private static final Path LAUNCHER = Path.of("payara/dstack-server").toAbsolutePath();

  @TempDir Path dir;
  private Path home;
  private Path calls;
  private Path database;
  private final Map<String, String> env = new HashMap<>();

  private record Result(int exit, String output, List<String> calls) {}

  @BeforeEach
  void stubs() throws IOException {
    home = Files.createDirectories(dir.resolve("home"));
    calls = dir.resolve("calls.log");
    database = home.resolve(".dstack/server/data/sqlite.db");
    Path bin = Files.createDirectories(dir.resolve("bin"));
    // each stand-in writes one line: its name, then every argument in [brackets]; in one write,
    // since the launcher's curl probe runs while java does
    String record =
        "line=\"$(basename \"$0\")\"; for arg in \"$@\"; do line+=\" [$arg]\"; done;"
            + " printf '%s\\n' \"$line\" >>\"$CALLS\"\n";
    stub(
        bin.resolve("litestream"),
        record
            + "echo \"env GOOGLE_APPLICATION_CREDENTIALS=${GOOGLE_APPLICATION_CREDENTIALS:-}"
            + " AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-}"
            + " LITESTREAM_AZURE_ACCOUNT_KEY=${LITESTREAM_AZURE_ACCOUNT_KEY:-}\" >>\"$CALLS\"\n"
            + "case \"$1\" in\n"
            + "  restore) [ -z \"${REPLICA_HAS_DATABASE:-}\" ] || echo restored >\"$4\" ;;\n"
            + "  replicate) [ \"$2\" = -exec ] && exec bash -c \"$3\" ;;\n"
            + "esac\n");
    stub(bin.resolve("java"), record);
    stub(bin.resolve("curl"), record);
    Path war = Files.writeString(dir.resolve("dstack.war"), "war");
    Path micro = Files.writeString(dir.resolve("payara-micro.jar"), "jar");
    env.put("PATH", bin + ":/usr/bin:/bin");
    env.put("HOME", home.toString());
    env.put("CALLS", calls.toString());
    env.put("DSTACK_LAUNCHER", LAUNCHER.toString());
    env.put("DSTACK_WAR", war.toString());
    env.put("PAYARA_MICRO_JAR", micro.toString());
    // as the image's ENV sets them
    env.put("DSTACK_SERVER_HOST", "0.0.0.0");
    env.put("DSTACK_SERVER_PORT", "3000");
  }

  private static void stub(Path file, String body) throws IOException {
    Files.writeString(file, "#!/usr/bin/env bash\n" + body);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private Result run() throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder("bash", ENTRYPOINT.toString()).redirectErrorStream(true);
    builder.environment().clear();
    builder.environment().putAll(env);
    Process process = builder.start();
    assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the entrypoint did not end");
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    List<String> lines = Files.exists(calls) ? Files.readAllLines(calls) : List.of();
    return new Result(process.exitValue(), output, lines);
  }

  private static String javaCall(Result result) {
    return result.calls().stream().filter(l -> l.startsWith("java ")).findFirst().orElseThrow();
  }

  @Test
  void withoutAReplicaTheServerStartsDirectlyOnEveryInterface() throws Exception {
    Result result = run();
    assertEquals(0, result.exit(), result.output());
    assertTrue(
        result.calls().stream().noneMatch(l -> l.startsWith("litestream")),
        result.calls().toString());
    String java = javaCall(result);
    assertTrue(java.contains("[--deploy] [" + env.get("DSTACK_WAR") + "]"), java);
    assertTrue(java.contains("[--port] [3000]"), java);
    assertTrue(java.contains("[--nohazelcast]"), java);
    Path preboot = home.resolve(".dstack/server/payara-runtime.preboot");
    assertTrue(Files.readString(preboot).trim().endsWith("http-listener.address=0.0.0.0"));
  }

  @Test
  void aMissingDatabaseIsRestoredThenTheServerRunsUnderLitestream() throws Exception {
    env.put("LITESTREAM_REPLICA_URL", "s3://state-bucket/dstack");
    env.put("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE");
    env.put("REPLICA_HAS_DATABASE", "1");
    Result result = run();
    assertEquals(0, result.exit(), result.output());
    List<String> litestream =
        result.calls().stream().filter(l -> l.startsWith("litestream")).toList();
    assertEquals(
        "litestream [restore] [-if-replica-exists] [-o] ["
            + database
            + "] [s3://state-bucket/dstack]",
        litestream.get(0));
    assertEquals(
        "litestream [replicate] [-exec] ["
            + LAUNCHER
            + "] ["
            + database
            + "] [s3://state-bucket/dstack]",
        litestream.get(1));
    assertEquals("restored", Files.readString(database).trim());
    assertTrue(
        result
            .calls()
            .contains(
                "env GOOGLE_APPLICATION_CREDENTIALS= AWS_ACCESS_KEY_ID=AKIAEXAMPLE LITESTREAM_AZURE_ACCOUNT_KEY="));
    // Litestream's -exec command is the launcher, which starts Payara Micro
    assertTrue(javaCall(result).contains("[--deploy]"));
  }

  @Test
  void anEmptyReplicaLeavesTheDatabaseToTheServerToCreate() throws Exception {
    env.put("LITESTREAM_REPLICA_URL", "abs://account@container/dstack");
    env.put("LITESTREAM_AZURE_ACCOUNT_KEY", "azure-key");
    Result result = run();
    assertEquals(0, result.exit(), result.output());
    assertTrue(result.calls().get(0).startsWith("litestream [restore] [-if-replica-exists]"));
    assertFalse(Files.exists(database));
    assertTrue(
        Files.isDirectory(database.getParent()), "the data directory is made for Litestream");
    assertTrue(
        result.calls().stream()
            .anyMatch(l -> l.endsWith("LITESTREAM_AZURE_ACCOUNT_KEY=azure-key")));
    assertTrue(result.calls().stream().anyMatch(l -> l.startsWith("litestream [replicate]")));
  }

  @Test
  void anExistingDatabaseIsNotRestoredOver() throws Exception {
    Files.createDirectories(database.getParent());
    Files.writeString(database, "local state");
    env.put("LITESTREAM_REPLICA_URL", "gcs://bucket/dstack");
    Result result = run();
    assertEquals(0, result.exit(), result.output());
    assertTrue(result.calls().stream().noneMatch(l -> l.startsWith("litestream [restore]")));
    assertTrue(result.calls().stream().anyMatch(l -> l.startsWith("litestream [replicate]")));
    assertEquals("local state", Files.readString(database));
  }

  @Test
  void googleCredentialsJsonIsWrittenToAPrivateFileLitestreamIsPointedAt() throws Exception {
    env.put("LITESTREAM_REPLICA_URL", "gcs://bucket/dstack");
    env.put("GOOGLE_APPLICATION_CREDENTIALS_JSON", "{\"type\":\"service_account\"}");
    Result result = run();
    assertEquals(0, result.exit(), result.output());
    Path key = home.resolve(".config/gcloud/application_default_credentials.json");
    assertEquals("{\"type\":\"service_account\"}", Files.readString(key));
    assertEquals(
        Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
        Files.getPosixFilePermissions(key));
    assertTrue(
        result.calls().stream()
            .anyMatch(l -> l.startsWith("env GOOGLE_APPLICATION_CREDENTIALS=" + key + " ")),
        result.calls().toString());
  }

  @Test
  void anExplicitGoogleCredentialsPathIsKept() throws Exception {
    env.put("LITESTREAM_REPLICA_URL", "gcs://bucket/dstack");
    env.put("GOOGLE_APPLICATION_CREDENTIALS", "/secrets/key.json");
    Result result = run();
    assertEquals(0, result.exit(), result.output());
    assertTrue(
        result.calls().stream()
            .anyMatch(l -> l.startsWith("env GOOGLE_APPLICATION_CREDENTIALS=/secrets/key.json ")));
  }

  @Test
  void withPostgresTheReplicaIsIgnoredWithAWarning() throws Exception {
    env.put("LITESTREAM_REPLICA_URL", "s3://state-bucket/dstack");
    env.put("DSTACK_DATABASE_URL", "postgresql://db/dstack");
    Result result = run();
    assertEquals(0, result.exit(), result.output());
    assertTrue(result.output().contains("LITESTREAM_REPLICA_URL is ignored"), result.output());
    assertTrue(result.calls().stream().noneMatch(l -> l.startsWith("litestream")));
    javaCall(result);
  }

  @Test
  void aReplicaThatIsNotAUrlStopsWithTheReasonAndStartsNothing() throws Exception {
    env.put("LITESTREAM_REPLICA_URL", "my-bucket");
    Result result = run();
    assertEquals(2, result.exit());
    assertTrue(result.output().contains("must be a replica URL"), result.output());
    assertTrue(result.calls().isEmpty(), result.calls().toString());
  }

  @Test
  void theShellScriptsPassShellcheck() throws Exception {
    Process process =
        new ProcessBuilder(
                "shellcheck",
                ENTRYPOINT.toString(),
                LAUNCHER.toString(),
                "scripts/serve",
                "scripts/test",
                ".ci/run")
            .redirectErrorStream(true)
            .start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, process.exitValue(), output);
  }
}
