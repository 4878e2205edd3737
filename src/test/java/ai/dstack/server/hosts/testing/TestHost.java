package ai.dstack.server.hosts.testing;

import ai.dstack.server.hosts.HostTarget;
import ai.dstack.server.hosts.ProxyJump;
import ai.dstack.server.hosts.SshKey;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One throwaway host: a network namespace on the test bridge, its own OS user, and its own sshd on
 * port 22 of the namespace's address (public keys only, forwarding allowed).
 */
public final class TestHost {
  private static final Duration SSHD_START = Duration.ofSeconds(10);

  private final String namespace;
  private final String address;
  private final String user;
  private final int uid;
  private final Path home;
  private final Path dir;
  private final SshKey key;
  private String sessionPath;
  private Process sshd;

  TestHost(
      String namespace, String address, String user, int uid, Path home, Path dir, SshKey key) {
    this.namespace = namespace;
    this.address = address;
    this.user = user;
    this.uid = uid;
    this.home = home;
    this.dir = dir;
    this.key = key;
  }

  /** The host's address (in the namespace, reachable from here and from the other hosts). */
  public String address() {
    return address;
  }

  public int port() {
    return 22;
  }

  public String user() {
    return user;
  }

  public Path home() {
    return home;
  }

  public String namespace() {
    return namespace;
  }

  /** The client key whose public half is in the user's authorized_keys. */
  public SshKey key() {
    return key;
  }

  /** Logs in as the host's user with its key. */
  public HostTarget target() {
    return new HostTarget(address, 22, user, List.of(key), null);
  }

  /** Logs in as the host's user with {@code keys}, tried in order. */
  public HostTarget target(List<SshKey> keys) {
    return new HostTarget(address, 22, user, keys, null);
  }

  /** Logs in to this host through {@code jump}. */
  public HostTarget targetThrough(TestHost jump) {
    return new HostTarget(
        address,
        22,
        user,
        List.of(key),
        new ProxyJump(jump.address, 22, jump.user, List.of(jump.key)));
  }

  /** What sshd logged so far (logins: "Accepted publickey for …"). */
  public String sshdLog() throws IOException {
    Path log = dir.resolve("sshd.log");
    return Files.exists(log) ? Files.readString(log) : "";
  }

  /** Logins sshd accepted so far. */
  public int acceptedLogins() throws IOException {
    return (int) sshdLog().lines().filter(line -> line.contains("Accepted publickey for")).count();
  }

  /**
   * Sets PATH for SSH sessions (sshd's {@code SetEnv}) and restarts sshd, which ends the open
   * sessions; null restores sshd's default.
   */
  public void setSessionPath(String path) throws IOException {
    sessionPath = path;
    stopSshd();
    startSshd();
  }

  /**
   * Freezes (SIGSTOP) the sshd processes serving open connections: their TCP connections stay up
   * but nothing answers on them, as with a hung host. The listener still accepts new ones.
   */
  public synchronized void suspendSessions() throws IOException {
    signalSessions("-STOP");
  }

  /** Lets the connections {@link #suspendSessions} froze go on. */
  public synchronized void resumeSessions() throws IOException {
    signalSessions("-CONT");
  }

  private void signalSessions(String signal) throws IOException {
    for (long pid : sshdProcesses()) {
      if (sshd == null || pid != sshd.pid()) {
        Commands.check("kill", signal, String.valueOf(pid));
      }
    }
  }

  private List<Long> sshdProcesses() throws IOException {
    List<Long> sshds = new ArrayList<>();
    for (String pid : Commands.check("ip", "netns", "pids", namespace).split("\\s+")) {
      if (!pid.isBlank() && isSshd(Long.parseLong(pid))) {
        sshds.add(Long.parseLong(pid));
      }
    }
    return sshds;
  }

  /** Kills sshd: its listener and every session it serves. Processes started over SSH stay. */
  public synchronized void stopSshd() throws IOException {
    Commands.kill(sshdProcesses());
    if (sshd != null) {
      try {
        sshd.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
      sshd = null;
    }
  }

  /** Starts sshd (again) and waits until it accepts connections. */
  public synchronized void startSshd() throws IOException {
    Path config = dir.resolve("sshd_config");
    Files.writeString(config, sshdConfig());
    sshd =
        new ProcessBuilder(
                "ip",
                "netns",
                "exec",
                namespace,
                "/usr/sbin/sshd",
                "-D",
                "-f",
                config.toString(),
                "-E",
                dir.resolve("sshd.log").toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("sshd.out").toFile()))
            .start();
    long deadline = System.nanoTime() + SSHD_START.toNanos();
    while (true) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(address, 22), 1000);
        return;
      } catch (IOException e) {
        if (!sshd.isAlive() || System.nanoTime() > deadline) {
          throw new IOException(
              "sshd of "
                  + namespace
                  + " does not listen: "
                  + Files.readString(dir.resolve("sshd.out"))
                  + sshdLog());
        }
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }
  }

  /** Runs {@code command} with sh as the host's user, inside its namespace, in its home. */
  public Commands.Result exec(String command) throws IOException {
    return Commands.run(
        List.of(
            "ip",
            "netns",
            "exec",
            namespace,
            "runuser",
            "-u",
            user,
            "--",
            "env",
            "-i",
            "HOME=" + home,
            "USER=" + user,
            "LOGNAME=" + user,
            "PATH=/usr/local/bin:/usr/bin:/bin",
            "sh",
            "-c",
            command),
        home,
        Duration.ofSeconds(60));
  }

  /** Processes of the host's user (the agent, its supervisor, …). */
  public List<Long> userProcesses() {
    return Commands.processesOf(uid);
  }

  /** The command lines of the host user's processes, by pid (arguments joined by spaces). */
  public Map<Long, String> userCommandLines() {
    Map<Long, String> lines = new TreeMap<>();
    for (long pid : userProcesses()) {
      try {
        byte[] raw = Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "cmdline"));
        lines.put(pid, new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').strip());
      } catch (IOException e) {
        // it ended meanwhile
      }
    }
    return lines;
  }

  /** Pids of the host user's processes whose command line contains {@code text}. */
  public List<Long> processesRunning(String text) {
    List<Long> pids = new ArrayList<>();
    userCommandLines()
        .forEach(
            (pid, line) -> {
              if (line.contains(text)) {
                pids.add(pid);
              }
            });
    return pids;
  }

  private String sshdConfig() {
    return "ListenAddress "
        + address
        + ":22\n"
        + "HostKey "
        + dir.resolve("host_key")
        + "\n"
        + "PidFile "
        + dir.resolve("sshd.pid")
        + "\n"
        + "AllowUsers "
        + user
        + "\n"
        + "PubkeyAuthentication yes\n"
        + "PasswordAuthentication no\n"
        + "KbdInteractiveAuthentication no\n"
        + "UsePAM no\n"
        + "StrictModes no\n"
        + "AllowTcpForwarding yes\n"
        + "MaxStartups 100:30:200\n"
        + "LogLevel VERBOSE\n"
        + "Subsystem sftp /usr/lib/openssh/sftp-server\n"
        + (sessionPath == null ? "" : "SetEnv PATH=" + sessionPath + "\n");
  }

  /** Kills everything of this host and removes its user; the namespace goes with the set. */
  void destroy() throws IOException {
    stopSshd();
    for (int round = 0; round < 10; round++) {
      List<Long> left = userProcesses();
      if (left.isEmpty()) {
        break;
      }
      Commands.kill(left);
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    Commands.quietly("userdel", "-r", "-f", user);
  }

  private static boolean isSshd(long pid) {
    try {
      return Files.readString(Path.of("/proc", String.valueOf(pid), "comm"))
          .strip()
          .startsWith("sshd");
    } catch (IOException e) {
      return false;
    }
  }
}
