package ai.dstack.server.hosts.testing;

import ai.dstack.server.hosts.SshKey;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Throwaway SSH hosts on this machine, for tests that need real ones: each a network namespace with
 * its own address, OS user and sshd. The namespaces hang on one bridge, so they reach each other (a
 * proxy jump) and this machine reaches them all, and nothing else. Needs root.
 *
 * <p>Every resource is recorded before it is made in a file named after this JVM, so that a run
 * that crashed is cleaned up by the next one (whichever JVM creates hosts next); live runs of other
 * JVMs are left alone.
 */
public final class TestHosts implements AutoCloseable {
  private static final Path REGISTRY = Path.of("/tmp/dstack-testhosts");
  private static final Pattern BRIDGE_ADDRESS = Pattern.compile("10\\.231\\.(\\d+)\\.1/24");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String id = HexFormat.of().toHexDigits(RANDOM.nextInt()).substring(2);
  private final Path record = REGISTRY.resolve(owner() + "-" + id);
  private final Path dir = REGISTRY.resolve(id);
  private final List<TestHost> hosts = new ArrayList<>();
  private final Thread shutdownHook = new Thread(this::closeQuietly, "test-hosts-" + id);
  private String bridge;
  private boolean closed;

  private TestHosts() {}

  /** Makes {@code count} hosts (at most 250). */
  public static TestHosts create(int count) throws IOException {
    if (count < 1 || count > 250) {
      throw new IllegalArgumentException("1..250 hosts, not " + count);
    }
    if (!Commands.check("id", "-u").strip().equals("0")) {
      throw new IllegalStateException("test hosts need root: namespaces, users and sshd");
    }
    Files.createDirectories(REGISTRY);
    cleanUpAfterDeadRuns();
    TestHosts set = new TestHosts();
    Runtime.getRuntime().addShutdownHook(set.shutdownHook);
    try {
      set.build(count);
    } catch (IOException | RuntimeException e) {
      set.close();
      throw e;
    }
    return set;
  }

  public List<TestHost> hosts() {
    return List.copyOf(hosts);
  }

  public TestHost host(int index) {
    return hosts.get(index);
  }

  private void build(int count) throws IOException {
    Files.createDirectories(dir);
    remember("dir " + dir);
    int subnet = createBridge();
    for (int i = 0; i < count; i++) {
      hosts.add(createHost(i, "10.231." + subnet + "." + (i + 2)));
    }
  }

  /** The bridge and its address 10.231.N.1/24, N free among this machine's bridges. */
  private int createBridge() throws IOException {
    bridge = "dtb" + id;
    // one JVM at a time picks a subnet and claims it
    try (FileChannel lock =
            FileChannel.open(
                REGISTRY.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock ignored = lock.lock()) {
      Set<Integer> used = new HashSet<>();
      Matcher matcher = BRIDGE_ADDRESS.matcher(Commands.check("ip", "-o", "-4", "addr", "show"));
      while (matcher.find()) {
        used.add(Integer.parseInt(matcher.group(1)));
      }
      int subnet = RANDOM.nextInt(256);
      while (used.contains(subnet)) {
        subnet = (subnet + 1) % 256;
      }
      remember("link " + bridge);
      Commands.check("ip", "link", "add", bridge, "type", "bridge");
      Commands.check("ip", "addr", "add", "10.231." + subnet + ".1/24", "dev", bridge);
      Commands.check("ip", "link", "set", bridge, "up");
      return subnet;
    }
  }

  private TestHost createHost(int index, String address) throws IOException {
    String namespace = "dstacktest-" + id + "-" + index;
    String outside = "dt" + id + "h" + index;
    String inside = "dt" + id + "n" + index;
    remember("netns " + namespace);
    Commands.check("ip", "netns", "add", namespace);
    remember("link " + outside);
    Commands.check("ip", "link", "add", outside, "type", "veth", "peer", "name", inside);
    Commands.check("ip", "link", "set", inside, "netns", namespace);
    Commands.check("ip", "link", "set", outside, "master", bridge, "up");
    Commands.check("ip", "netns", "exec", namespace, "ip", "link", "set", "lo", "up");
    Commands.check(
        "ip", "netns", "exec", namespace, "ip", "addr", "add", address + "/24", "dev", inside);
    Commands.check("ip", "netns", "exec", namespace, "ip", "link", "set", inside, "up");

    String user = "dstacktest" + index + "-" + id;
    remember("user " + user);
    // password "*": none, yet not locked ("!"), which sshd without PAM would refuse
    Commands.check("useradd", "-m", "-s", "/bin/bash", "-p", "*", user);
    int uid = Integer.parseInt(Commands.check("id", "-u", user).strip());
    Path home = Path.of(Commands.check("getent", "passwd", user).split(":")[5]);

    Path hostDir = dir.resolve("host" + index);
    Files.createDirectories(hostDir);
    Commands.check(
        "ssh-keygen",
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-C",
        namespace,
        "-f",
        hostDir.resolve("host_key").toString());
    Path clientKey = hostDir.resolve("client_key");
    Commands.check(
        "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", user, "-f", clientKey.toString());
    SshKey key =
        new SshKey(
            Files.readString(Path.of(clientKey + ".pub")).strip(), Files.readString(clientKey));
    Path ssh = home.resolve(".ssh");
    Files.createDirectories(ssh);
    Files.writeString(ssh.resolve("authorized_keys"), key.publicKey() + "\n");
    Commands.check("chown", "-R", user + ":", ssh.toString());
    Commands.check("chmod", "700", ssh.toString());

    Files.createDirectories(Path.of("/run/sshd")); // sshd's privilege separation directory
    TestHost host = new TestHost(namespace, address, user, uid, home, hostDir, key);
    host.startSshd();
    return host;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // closing from the hook itself, as the JVM exits
    }
    for (TestHost host : hosts) {
      try {
        host.destroy();
      } catch (IOException e) {
        // the record below still names what is left
      }
    }
    if (Files.exists(record)) {
      removeRecorded(record);
    }
  }

  private void closeQuietly() {
    close();
  }

  private void remember(String resource) throws IOException {
    Files.writeString(
        record,
        resource + "\n",
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }

  /** This JVM as a record's name: pid and start time, so a reused pid is not taken for it. */
  private static String owner() {
    ProcessHandle self = ProcessHandle.current();
    return self.pid() + "-" + self.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
  }

  private static void cleanUpAfterDeadRuns() throws IOException {
    List<Path> records;
    try (Stream<Path> files = Files.list(REGISTRY)) {
      records =
          files.filter(path -> path.getFileName().toString().matches("\\d+-\\d+-\\w+")).toList();
    }
    for (Path path : records) {
      String[] parts = path.getFileName().toString().split("-");
      long pid = Long.parseLong(parts[0]);
      long started = Long.parseLong(parts[1]);
      Optional<Instant> start =
          ProcessHandle.of(pid).flatMap(handle -> handle.info().startInstant());
      if (start.isEmpty() || start.get().toEpochMilli() != started) {
        removeRecorded(path);
      }
    }
  }

  /** Removes what a record names: users (and their processes) and namespaces first. */
  private static void removeRecorded(Path path) {
    List<String> lines;
    try {
      lines = Files.readAllLines(path);
    } catch (IOException e) {
      return;
    }
    for (String line : lines) {
      if (line.startsWith("netns ")) {
        String namespace = line.substring(6);
        try {
          List<Long> pids = new ArrayList<>();
          for (String pid : Commands.check("ip", "netns", "pids", namespace).split("\\s+")) {
            if (!pid.isBlank()) {
              pids.add(Long.parseLong(pid));
            }
          }
          Commands.kill(pids);
        } catch (IOException e) {
          // no such namespace any more
        }
      }
    }
    for (String line : lines) {
      if (line.startsWith("user ")) {
        String user = line.substring(5);
        try {
          int uid = Integer.parseInt(Commands.check("id", "-u", user).strip());
          Commands.kill(Commands.processesOf(uid));
        } catch (IOException | NumberFormatException e) {
          // no such user any more
        }
        Commands.quietly("userdel", "-r", "-f", user);
      }
    }
    for (String line : lines) {
      if (line.startsWith("netns ")) {
        Commands.quietly("ip", "netns", "del", line.substring(6));
      } else if (line.startsWith("link ")) {
        Commands.quietly("ip", "link", "del", line.substring(5));
      } else if (line.startsWith("dir ")) {
        deleteTree(Path.of(line.substring(4)));
      }
    }
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      // tried again by the next run
    }
  }

  private static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      // tried again by the next run
    }
  }
}
