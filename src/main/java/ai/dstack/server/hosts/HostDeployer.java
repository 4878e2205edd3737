package ai.dstack.server.hosts;

import jakarta.json.JsonException;
import jakarta.json.JsonReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Puts the host agent on an SSH-fleet host and keeps it there (SERVER.md §7.1, with our agent jar
 * instead of upstream's shim binary, and without sudo: the agent runs as the fleet's SSH user, with
 * everything in its home directory).
 */
public final class HostDeployer {
  private static final Logger LOG = Logger.getLogger(HostDeployer.class.getName());
  private static final Duration STEP_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration HEALTH_POLL = Duration.ofMillis(250);
  private static final int MIN_JAVA = 17;
  private static final String JAR = "dstack-agent.jar";
  private static final String ENV = "agent.env";
  private static final String SCRIPT = "dstack-agent.sh";
  private static final String KIND = "supervisor.kind";
  private static final String HOST_INFO = "host_info.json";
  private static final Pattern JAVA_VERSION = Pattern.compile("version \"([^\"]+)\"");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern KEY_TYPE = Pattern.compile("(ssh|ecdsa|sk)-[A-Za-z0-9@._-]+");

  /** Characters an agent home may have: it goes into unit files and scripts unquoted. */
  private static final Pattern SAFE_PATH = Pattern.compile("/[A-Za-z0-9._/+@-]*");

  private final SshPool pool;
  private final AgentClient agent;

  /**
   * @param agentHome the agent's directory on the host, relative to the user's home unless absolute
   * @param env the fleet's {@code env}, given to the agent process (and so to its jobs)
   * @param hostInfoTimeout how long a started agent may take to write {@code host_info.json}
   * @param healthTimeout how long a started agent may take to answer its healthcheck
   */
  public record Settings(
      Path agentJar,
      String agentHome,
      int agentPort,
      Map<String, String> env,
      Duration hostInfoTimeout,
      Duration healthTimeout) {
    public static final String DEFAULT_AGENT_HOME = ".dstack-agent";
    public static final int DEFAULT_AGENT_PORT = 10998;

    public Settings {
      Objects.requireNonNull(agentJar, "agentJar");
      agentHome = agentHome == null || agentHome.isBlank() ? DEFAULT_AGENT_HOME : agentHome;
      env = Map.copyOf(env);
    }

    /** Upstream's defaults: home {@code ~/.dstack-agent}, port 10998, 2 and 1 minutes. */
    public static Settings defaults(Path agentJar, Map<String, String> env) {
      return new Settings(
          agentJar,
          DEFAULT_AGENT_HOME,
          DEFAULT_AGENT_PORT,
          env,
          Duration.ofMinutes(2),
          Duration.ofMinutes(1));
    }
  }

  /**
   * What a deploy found and did.
   *
   * @param arch {@code amd64} or {@code arm64}
   * @param hostInfoJson the agent's {@code host_info.json} as written
   * @param agentVersion the version its healthcheck reports
   * @param supervisor {@code systemd-system}, {@code systemd-user} or {@code process}
   */
  public record Deployment(
      String arch, String hostInfoJson, String agentVersion, String supervisor) {}

  /** The agent's directory on one host, resolved: absolute paths from here on. */
  private record Home(String agentHome, String userHome) {
    String file(String name) {
      return agentHome + "/" + name;
    }
  }

  public HostDeployer(SshPool pool, AgentClient agent) {
    this.pool = pool;
    this.agent = agent;
  }

  /**
   * Deploys the agent, or checks it: on a host where the same agent already runs healthy this costs
   * a few commands and changes nothing.
   *
   * @param authorizedKeys public keys (OpenSSH lines) added to the user's authorized_keys
   */
  public Deployment deploy(HostTarget target, List<String> authorizedKeys, Settings settings)
      throws HostException {
    String arch = arch(target);
    String java = java(target);
    authorize(target, authorizedKeys);
    AgentSupervisor supervisor = detectSupervisor(target);
    Home home = prepareHome(target, settings, supervisor);
    Map<String, String> remoteHashes = remoteHashes(target, home, supervisor, settings);

    boolean changed = false;
    changed |= putIfDifferent(target, home.file(JAR), settings.agentJar(), remoteHashes, 0644);
    changed |=
        putIfDifferent(
            target, home.file(ENV), envFile(settings, home.agentHome(), java), remoteHashes, 0600);
    changed |= putIfDifferent(target, home.file(SCRIPT), script(), remoteHashes, 0755);
    if (supervisor.systemd()) {
      String unit = supervisor.unitText(home.agentHome(), settings.agentPort());
      String unitPath = supervisor.unitPath(home.userHome(), settings.agentPort());
      changed |= putIfDifferent(target, unitPath, unit, remoteHashes, 0644);
    }
    String previous = remoteHashes.get(KIND);
    if (!supervisor.wireName().equals(previous)) {
      AgentSupervisor before = AgentSupervisor.named(previous);
      if (before != null) {
        run(
            target,
            "stop the agent's previous supervision",
            before.stopCommand(home.agentHome(), home.userHome(), settings.agentPort()));
      }
      run(
          target,
          "record the agent's supervisor",
          "printf '%s\\n' "
              + Shell.quote(supervisor.wireName())
              + " > "
              + Shell.quote(home.file(KIND)));
      changed = true;
    }

    String status =
        run(
            target,
            "check the agent",
            supervisor.statusCommand(home.agentHome(), settings.agentPort())
                + "; [ -s "
                + Shell.quote(home.file(HOST_INFO))
                + " ] && echo host_info || true");
    boolean supervised = status.contains(AgentSupervisor.RUNNING);
    boolean hasHostInfo = status.contains("host_info");
    if (changed || !supervised || !hasHostInfo || !agentHealthy(target)) {
      run(
          target,
          "start the agent",
          "rm -f "
              + Shell.quote(home.file(HOST_INFO))
              + " && "
              + supervisor.startCommand(home.agentHome(), settings.agentPort()));
      LOG.info("Agent started on " + target.hostname() + " (" + supervisor.wireName() + ")");
    }
    awaitHostInfo(target, home, supervisor, settings);
    Map<String, Object> health =
        awaitHealthy(target, home, supervisor, settings, settings.healthTimeout());
    String hostInfo = readHostInfo(target, home);
    return new Deployment(
        arch, hostInfo, String.valueOf(health.get("version")), supervisor.wireName());
  }

  /** Whether the agent answers its healthcheck. */
  public boolean agentHealthy(HostTarget target) {
    try {
      agent.healthcheck(target);
      return true;
    } catch (HostException e) {
      return false;
    }
  }

  /** Starts the agent again the way it was deployed, and waits until it is healthy. */
  public void restartAgent(HostTarget target, Settings settings) throws HostException {
    Home home = existingHome(target, settings);
    if (home == null) {
      throw new HostException("No agent is deployed on " + target.hostname());
    }
    AgentSupervisor supervisor = deployedSupervisor(target, home);
    run(
        target,
        "restart the agent",
        supervisor.restartCommand(home.agentHome(), settings.agentPort()));
    LOG.info("Agent restarted on " + target.hostname() + " (" + supervisor.wireName() + ")");
    awaitHealthy(
        target,
        home,
        supervisor,
        settings,
        settings.hostInfoTimeout().plus(settings.healthTimeout()));
  }

  /** Stops the agent and its supervision for good; its files stay. Nothing deployed: a no-op. */
  public void stopAgent(HostTarget target, Settings settings) throws HostException {
    Home home = existingHome(target, settings);
    if (home == null) {
      return;
    }
    AgentSupervisor supervisor = deployedSupervisor(target, home);
    run(
        target,
        "stop the agent",
        supervisor.stopCommand(home.agentHome(), home.userHome(), settings.agentPort()));
    LOG.info("Agent stopped on " + target.hostname());
  }

  private String arch(HostTarget target) throws HostException {
    String machine = run(target, "read the architecture", "uname -m").strip();
    return switch (machine) {
      case "x86_64", "amd64" -> "amd64";
      case "aarch64", "arm64" -> "arm64";
      default ->
          throw new HostException(
              "Unsupported architecture on "
                  + target.hostname()
                  + ": "
                  + machine
                  + " (amd64 or arm64 only)");
    };
  }

  /** The path of a Java 17+ on the session's PATH. */
  private String java(HostTarget target) throws HostException {
    SshPool.ExecResult result =
        sh(
            target,
            "p=$(command -v java) || exit 127; echo \"$p\"; \"$p\" -version 2>&1",
            STEP_TIMEOUT);
    String[] lines = result.stdout().strip().split("\n", 2);
    if (result.exitCode() == 127 || lines[0].isBlank()) {
      throw javaRequired(target, "java not found");
    }
    String output = lines.length > 1 ? lines[1] : "";
    int major = javaMajor(output);
    if (major < 0) {
      throw javaRequired(target, "cannot read the version of " + lines[0]);
    }
    if (major < MIN_JAVA) {
      Matcher version = JAVA_VERSION.matcher(output);
      throw javaRequired(target, "found " + (version.find() ? version.group(1) : output));
    }
    return lines[0].strip();
  }

  private static HostException javaRequired(HostTarget target, String detail) {
    return new HostException(
        "Java " + MIN_JAVA + " or newer is required on " + target.hostname() + " (" + detail + ")");
  }

  /** The major version in {@code java -version} output ({@code "1.8.0_392"} is 8), or -1. */
  static int javaMajor(String versionOutput) {
    Matcher matcher = JAVA_VERSION.matcher(versionOutput);
    if (!matcher.find()) {
      return -1;
    }
    String version = matcher.group(1);
    if (version.startsWith("1.")) {
      version = version.substring(2);
    }
    Matcher digits = Pattern.compile("^\\d+").matcher(version);
    return digits.find() ? Integer.parseInt(digits.group()) : -1;
  }

  /** Appends the keys the user's authorized_keys lacks (same type and key; comments differ). */
  private void authorize(HostTarget target, List<String> keys) throws HostException {
    if (keys.isEmpty()) {
      return;
    }
    String present =
        run(
            target,
            "read authorized_keys",
            "cat \"$HOME/.ssh/authorized_keys\" 2>/dev/null || true");
    Set<String> known = new HashSet<>();
    for (String line : present.split("\n")) {
      String identity = keyIdentity(line);
      if (identity != null) {
        known.add(identity);
      }
    }
    List<String> missing = new ArrayList<>();
    for (String key : keys) {
      String line = key.strip();
      String identity = keyIdentity(line);
      if (identity == null || line.contains("\n") || line.contains("\r")) {
        throw new HostException("Not an OpenSSH public key for " + target.hostname() + ": " + line);
      }
      if (known.add(identity)) {
        missing.add(line);
      }
    }
    if (missing.isEmpty()) {
      return;
    }
    StringBuilder command =
        new StringBuilder(
            "umask 077 && mkdir -p \"$HOME/.ssh\" && f=\"$HOME/.ssh/authorized_keys\" && touch \"$f\""
                + " && { if [ -s \"$f\" ] && [ -n \"$(tail -c 1 \"$f\")\" ]; then echo >> \"$f\"; fi; }"
                + " && printf '%s\\n'");
    for (String line : missing) {
      command.append(' ').append(Shell.quote(line));
    }
    command.append(" >> \"$f\"");
    run(target, "add authorized keys", command.toString());
  }

  /** {@code type base64} of an authorized_keys or public key line (options and comment dropped). */
  static String keyIdentity(String line) {
    String[] tokens = line.strip().split("\\s+");
    for (int i = 0; i + 1 < tokens.length; i++) {
      if (KEY_TYPE.matcher(tokens[i]).matches() && tokens[i + 1].startsWith("AAAA")) {
        return tokens[i] + " " + tokens[i + 1];
      }
    }
    return null;
  }

  private AgentSupervisor detectSupervisor(HostTarget target) throws HostException {
    String name = run(target, "detect systemd", AgentSupervisor.DETECT).strip();
    AgentSupervisor supervisor = AgentSupervisor.named(name);
    if (supervisor == null) {
      throw new HostException("Cannot detect systemd on " + target.hostname() + ": " + name);
    }
    return supervisor;
  }

  private Home prepareHome(HostTarget target, Settings settings, AgentSupervisor supervisor)
      throws HostException {
    String dir = Shell.quote(settings.agentHome());
    String unitDir =
        supervisor == AgentSupervisor.SYSTEMD_USER
            ? " && mkdir -p \"$HOME/.config/systemd/user\""
            : "";
    String output =
        run(
            target,
            "create the agent's directory",
            "cd && umask 022 && mkdir -p -- "
                + dir
                + unitDir
                + " && cd -- "
                + dir
                + " && pwd -P && printf '%s\\n' \"$HOME\"");
    return home(target, output);
  }

  /** The agent's home if it exists on the host, else null. */
  private Home existingHome(HostTarget target, Settings settings) throws HostException {
    String dir = Shell.quote(settings.agentHome());
    String output =
        run(
            target,
            "find the agent's directory",
            "cd && if cd -- " + dir + " 2>/dev/null; then pwd -P && printf '%s\\n' \"$HOME\"; fi");
    return output.isBlank() ? null : home(target, output);
  }

  private static Home home(HostTarget target, String output) throws HostException {
    String[] lines = output.strip().split("\n");
    if (lines.length != 2 || !SAFE_PATH.matcher(lines[0]).matches()) {
      throw new HostException(
          "The agent's directory on "
              + target.hostname()
              + " must be a plain path, got "
              + lines[0]);
    }
    return new Home(lines[0], lines[1]);
  }

  private AgentSupervisor deployedSupervisor(HostTarget target, Home home) throws HostException {
    String name =
        run(
                target,
                "read the agent's supervisor",
                "cat " + Shell.quote(home.file(KIND)) + " 2>/dev/null || true")
            .strip();
    AgentSupervisor supervisor = AgentSupervisor.named(name);
    return supervisor != null ? supervisor : AgentSupervisor.PROCESS;
  }

  /**
   * sha256 of the files a deploy writes, by path, and the recorded supervisor under {@code KIND}.
   */
  private Map<String, String> remoteHashes(
      HostTarget target, Home home, AgentSupervisor supervisor, Settings settings)
      throws HostException {
    List<String> files =
        new ArrayList<>(List.of(home.file(JAR), home.file(ENV), home.file(SCRIPT)));
    if (supervisor.systemd()) {
      files.add(supervisor.unitPath(home.userHome(), settings.agentPort()));
    }
    StringBuilder command = new StringBuilder("for f in");
    for (String file : files) {
      command.append(' ').append(Shell.quote(file));
    }
    command
        .append("; do [ -f \"$f\" ] && sha256sum -- \"$f\"; done; printf 'kind %s\\n' \"$(cat ")
        .append(Shell.quote(home.file(KIND)))
        .append(" 2>/dev/null)\"");
    Map<String, String> hashes = new HashMap<>();
    for (String line : run(target, "hash the agent's files", command.toString()).split("\n")) {
      if (line.startsWith("kind ")) {
        hashes.put(KIND, line.substring(5).strip());
      } else if (line.length() > 66 && line.charAt(64) == ' ') {
        hashes.put(line.substring(66), line.substring(0, 64));
      }
    }
    return hashes;
  }

  private boolean putIfDifferent(
      HostTarget target, String path, Path local, Map<String, String> remoteHashes, int mode)
      throws HostException {
    String hash;
    try (InputStream in = Files.newInputStream(local)) {
      hash = sha256(in);
    } catch (IOException e) {
      throw new HostException("Cannot read the agent jar " + local + ": " + e.getMessage(), e);
    }
    if (hash.equals(remoteHashes.get(path))) {
      return false;
    }
    try (InputStream in = Files.newInputStream(local)) {
      pool.upload(target, in, path, mode);
    } catch (IOException e) {
      throw new HostException("Cannot read the agent jar " + local + ": " + e.getMessage(), e);
    }
    LOG.info("Uploaded " + local.getFileName() + " to " + target.hostname() + ":" + path);
    return true;
  }

  private boolean putIfDifferent(
      HostTarget target, String path, String text, Map<String, String> remoteHashes, int mode)
      throws HostException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    try {
      if (sha256(new ByteArrayInputStream(bytes)).equals(remoteHashes.get(path))) {
        return false;
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    pool.upload(target, new ByteArrayInputStream(bytes), path, mode);
    return true;
  }

  /** {@code KEY='value'} lines: the fleet's env, then what the agent and its script need. */
  static String envFile(Settings settings, String agentHome, String java) throws HostException {
    Map<String, String> env = new LinkedHashMap<>(new TreeMap<>(settings.env()));
    env.put("DSTACK_SHIM_HOME", agentHome);
    env.put("DSTACK_SHIM_HTTP_PORT", String.valueOf(settings.agentPort()));
    env.put("DSTACK_AGENT_JAVA", java);
    StringBuilder text = new StringBuilder("# written by the dstack server\n");
    for (Map.Entry<String, String> entry : env.entrySet()) {
      if (!ENV_NAME.matcher(entry.getKey()).matches() || entry.getValue().indexOf('\0') >= 0) {
        throw new HostException("Invalid environment variable for the agent: " + entry.getKey());
      }
      text.append(entry.getKey()).append('=').append(Shell.quote(entry.getValue())).append('\n');
    }
    return text.toString();
  }

  private static String script() {
    try (InputStream in = HostDeployer.class.getResourceAsStream(SCRIPT)) {
      return new String(Objects.requireNonNull(in, SCRIPT).readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + SCRIPT, e);
    }
  }

  /** Waits on the host (one command polling the file) for the started agent's host facts. */
  private void awaitHostInfo(
      HostTarget target, Home home, AgentSupervisor supervisor, Settings settings)
      throws HostException {
    long tenths = Math.max(1, settings.hostInfoTimeout().toMillis() / 100);
    String file = Shell.quote(home.file(HOST_INFO));
    SshPool.ExecResult result =
        sh(
            target,
            "i=0; while [ ! -s "
                + file
                + " ] && [ $i -lt "
                + tenths
                + " ]; do sleep 0.1 2>/dev/null || sleep 1; i=$((i + 1)); done; [ -s "
                + file
                + " ]",
            settings.hostInfoTimeout().plus(STEP_TIMEOUT));
    if (result.exitCode() != 0) {
      throw new HostException(
          "The agent on "
              + target.hostname()
              + " did not write host_info.json within "
              + settings.hostInfoTimeout().toSeconds()
              + " s"
              + lastLog(target, home, supervisor, settings));
    }
  }

  private Map<String, Object> awaitHealthy(
      HostTarget target, Home home, AgentSupervisor supervisor, Settings settings, Duration timeout)
      throws HostException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        return agent.healthcheck(target);
      } catch (HostException e) {
        // a host that no longer answers SSH will not become healthy by waiting: say so now
        pool.exec(target, "true", STEP_TIMEOUT);
        if (System.nanoTime() > deadline) {
          throw new HostException(
              "The agent on "
                  + target.hostname()
                  + " is not healthy "
                  + timeout.toSeconds()
                  + " s after its start: "
                  + e.getMessage()
                  + lastLog(target, home, supervisor, settings),
              e);
        }
      }
      try {
        Thread.sleep(HEALTH_POLL.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new HostException("Interrupted while waiting for the agent on " + target.hostname());
      }
    }
  }

  private String readHostInfo(HostTarget target, Home home) throws HostException {
    String text =
        run(target, "read host_info.json", "cat " + Shell.quote(home.file(HOST_INFO))).strip();
    try (JsonReader reader = AgentClient.JSON.createReader(new StringReader(text))) {
      reader.readObject();
    } catch (JsonException | IllegalStateException e) {
      throw new HostException(
          "The agent on " + target.hostname() + " wrote an invalid host_info.json");
    }
    return text;
  }

  private String lastLog(
      HostTarget target, Home home, AgentSupervisor supervisor, Settings settings) {
    try {
      String line =
          sh(
                  target,
                  supervisor.lastLogCommand(home.agentHome(), settings.agentPort()),
                  STEP_TIMEOUT)
              .stdout()
              .strip();
      return line.isEmpty() ? "" : "; its last output: " + line;
    } catch (HostException e) {
      return "";
    }
  }

  /** Runs one step; its stdout, or a HostException naming the step and the host. */
  private String run(HostTarget target, String step, String command) throws HostException {
    SshPool.ExecResult result;
    try {
      result = sh(target, command, STEP_TIMEOUT);
    } catch (HostException e) {
      if (e.getMessage().startsWith("Command timed out")) {
        throw new HostException(
            "Cannot "
                + step
                + " on "
                + target.hostname()
                + ": no answer within "
                + STEP_TIMEOUT.toSeconds()
                + " s",
            e);
      }
      throw e;
    }
    if (result.exitCode() != 0) {
      String detail = result.stderr().isBlank() ? result.stdout() : result.stderr();
      throw new HostException(
          "Cannot "
              + step
              + " on "
              + target.hostname()
              + " (exit "
              + result.exitCode()
              + ")"
              + (detail.isBlank() ? "" : ": " + detail.strip()));
    }
    return result.stdout();
  }

  /**
   * Runs a POSIX sh command whatever the user's login shell is (csh, fish, …); the login shell's
   * environment, PATH included, is what sh inherits.
   */
  private SshPool.ExecResult sh(HostTarget target, String command, Duration timeout)
      throws HostException {
    return pool.exec(target, "/bin/sh -c " + Shell.quote(command), timeout);
  }

  private static String sha256(InputStream in) throws IOException {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      try (DigestInputStream digesting = new DigestInputStream(in, digest)) {
        digesting.transferTo(OutputStream.nullOutputStream());
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
