package ai.dstack.server.it;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real WAR in a real Payara Micro process, as users run it. Started with its own state
 * directory and port; {@link #start()} returns once {@code /healthcheck} answers 200.
 */
public final class DstackServer implements AutoCloseable {
  private static final Pattern ADMIN_TOKEN = Pattern.compile("The admin token is ([^\\s\"]+)");

  private final Path home;
  private final Map<String, String> env = new HashMap<>();
  private final int port;
  private boolean viaLauncher;
  private Process process;
  private Path log;

  public DstackServer(Path home) {
    this.home = home;
    this.port = freePort();
    env.put("HOME", home.toString());
    env.put("DSTACK_SERVER_DIR", home.resolve("server").toString());
    env.put("DSTACK_SERVER_PORT", String.valueOf(port));
  }

  /** The database the test run was asked to use ({@code -Dit.db}), on a fresh state. */
  public static DstackServer forConfiguredDatabase(Path home) {
    DstackServer server = new DstackServer(home);
    if (TestDatabases.postgresRequested()) {
      server.env("DSTACK_DATABASE_URL", TestDatabases.freshPostgres());
    }
    return server;
  }

  /** Start through {@code payara/dstack-server}, as the README tells users to. */
  public DstackServer viaLauncher() {
    viaLauncher = true;
    return this;
  }

  public DstackServer env(String name, String value) {
    env.put(name, value);
    return this;
  }

  public Path home() {
    return home;
  }

  public String url() {
    return "http://127.0.0.1:" + port;
  }

  /** JDBC URL of the server's database, for tests that look at stored rows. */
  public String jdbcUrl() {
    String configured = env.get("DSTACK_DATABASE_URL");
    return configured == null
        ? "jdbc:sqlite:" + stateDir().resolve("data").resolve("sqlite.db")
        : TestDatabases.jdbc(configured);
  }

  public Path stateDir() {
    return home.resolve("server");
  }

  public DstackServer start() throws IOException, InterruptedException {
    startProcess();
    awaitHealthy();
    return this;
  }

  /** Starts the process without waiting; see {@link #awaitHealthcheck()}. */
  public void startProcess() throws IOException {
    Files.createDirectories(home);
    log = home.resolve("server-" + System.nanoTime() + ".log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder =
        new ProcessBuilder(viaLauncher ? launcherCommand(java) : microCommand(java));
    builder.redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().keySet().removeIf(k -> k.startsWith("DSTACK_"));
    builder.environment().putAll(env);
    process = builder.start();
  }

  private List<String> launcherCommand(String java) {
    env.put("JAVA", java);
    env.put("DSTACK_WAR", System.getProperty("it.war"));
    env.put("PAYARA_MICRO_JAR", System.getProperty("it.microJar"));
    env.put("DSTACK_SERVER_JAVA_OPTS", System.getProperty("it.javaOpts", "-Xmx256m"));
    return List.of(System.getProperty("it.launcher"));
  }

  private List<String> microCommand(String java) throws IOException {
    // a reused root directory makes Payara redeploy the previous run's copy of the WAR as well
    Path rootDir = home.resolve("payara");
    if (Files.exists(rootDir)) {
      try (var tree = Files.walk(rootDir)) {
        tree.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    List<String> command = new ArrayList<>();
    command.add(java);
    command.addAll(List.of(System.getProperty("it.javaOpts", "-Xmx256m").trim().split("\\s+")));
    command.add("-Duser.home=" + home);
    command.addAll(
        List.of(
            "-jar",
            System.getProperty("it.microJar"),
            "--nohazelcast",
            "--deploy",
            System.getProperty("it.war"),
            "--contextroot",
            "/",
            "--port",
            String.valueOf(port),
            "--rootdir",
            rootDir.toString()));
    return command;
  }

  /** The process's exit code once it ends by itself. */
  public int awaitExit() throws InterruptedException {
    if (!process.waitFor(180, TimeUnit.SECONDS)) {
      throw new IllegalStateException("The process did not exit; log:\n" + logText());
    }
    return process.exitValue();
  }

  /** Waits for the healthcheck to answer anything but "starting"; returns its status code. */
  public int awaitHealthcheck() throws InterruptedException {
    HttpClient client = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("Payara Micro exited early; log:\n" + logText());
      }
      try {
        HttpResponse<String> response =
            client.send(
                HttpRequest.newBuilder(URI.create(url() + "/healthcheck"))
                    .timeout(Duration.ofSeconds(5))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200 || response.body().contains("\"failed\"")) {
          return response.statusCode();
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException("The server did not become healthy; log:\n" + logText());
  }

  private void awaitHealthy() throws InterruptedException {
    int status = awaitHealthcheck();
    if (status != 200) {
      throw new IllegalStateException("The server failed to start; log:\n" + logText());
    }
  }

  public String adminToken() {
    Matcher m = ADMIN_TOKEN.matcher(logText());
    String token = null;
    while (m.find()) {
      token = m.group(1);
    }
    if (token == null) {
      throw new IllegalStateException("No admin token in the log:\n" + logText());
    }
    return token;
  }

  public String logText() {
    try {
      return log == null ? "" : Files.readString(log);
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  /** SIGTERM, as a service manager stops it; returns the exit code. */
  public int stop() throws InterruptedException {
    if (process == null) {
      return -1;
    }
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor();
      }
    }
    return process.exitValue();
  }

  /** SIGKILL: the process gets no chance to release anything. */
  public void kill() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroyForcibly().waitFor();
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
