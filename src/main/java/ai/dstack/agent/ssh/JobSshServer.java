package ai.dstack.agent.ssh;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.server.channel.ChannelSessionFactory;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.apache.sshd.server.session.ServerSession;
import org.apache.sshd.sftp.server.SftpFileSystemAccessor;
import org.apache.sshd.sftp.server.SftpSubsystemFactory;
import org.apache.sshd.sftp.server.SftpSubsystemProxy;

/**
 * The SSH endpoint of one job, what the dstack CLI reaches through its {@code ProxyJump} over the
 * host's sshd: public-key login as the job's user, shells and commands as processes of the agent's
 * user in the job's working directory with the job's environment, SFTP, and local port forwarding
 * to loopback ports (some of them moved, as the runner API's fixed port 10999).
 */
public final class JobSshServer implements AutoCloseable {
  private static final Logger log = Logger.getLogger(JobSshServer.class.getName());

  // The jobs of an agent share the host key file: the first to start creates it, the rest read it.
  private static final Object hostKeyLock = new Object();

  // MINA logs each start and each login at INFO, too much with a server per job. The logger is
  // held here because java.util.logging forgets the level of a logger that is garbage-collected.
  private static final Logger minaLog = Logger.getLogger("org.apache.sshd");

  static {
    minaLog.setLevel(Level.WARNING);
    // before any server is set up: ed25519 client keys
    JdkEd25519.install();
  }

  /**
   * @param envFile a POSIX sh file sourced before every shell and command, or null
   * @param authorizedKeys OpenSSH public key lines
   * @param portRemap forwards to loopback port K go to 127.0.0.1 port V instead
   */
  public record Config(
      String bindHost,
      int port,
      Path hostKeyFile,
      String username,
      Path workingDir,
      Path envFile,
      List<String> authorizedKeys,
      Map<Integer, Integer> portRemap) {
    public Config {
      Objects.requireNonNull(bindHost, "bindHost");
      Objects.requireNonNull(hostKeyFile, "hostKeyFile");
      Objects.requireNonNull(username, "username");
      Objects.requireNonNull(workingDir, "workingDir");
      authorizedKeys = List.copyOf(authorizedKeys);
      portRemap = Map.copyOf(portRemap);
    }
  }

  private final Config config;
  private final SshServer server;
  private final List<PublicKey> keys = new CopyOnWriteArrayList<>();
  private final Set<Session> openSessions = new HashSet<>();
  private long lastSessionClosedNanos = System.nanoTime();

  private JobSshServer(Config config) {
    this.config = config;
    addAuthorizedKeys(config.authorizedKeys());
    JobProcess.Launch launch =
        new JobProcess.Launch(loginShell(), config.workingDir(), config.envFile());
    LoopbackForwarding forwarding = new LoopbackForwarding(config.portRemap());

    server = SshServer.setUpDefaultServer();
    server.setHost(config.bindHost());
    server.setPort(config.port());
    server.setKeyPairProvider(hostKeys(config.hostKeyFile()));
    server.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE));
    server.setPublickeyAuthenticator(this::authenticate);
    server.setShellFactory(channel -> new JobProcess(launch, null));
    server.setCommandFactory((channel, command) -> new JobProcess(launch, command));
    server.setSubsystemFactories(List.of(sftp(config.workingDir())));
    server.setChannelFactories(List.of(ChannelSessionFactory.INSTANCE, forwarding));
    server.setForwardingFilter(forwarding);
    // MINA ends a session after 10 idle minutes; sshd keeps an idle shell or forward open.
    CoreModuleProperties.IDLE_TIMEOUT.set(server, Duration.ZERO);
    server.addSessionListener(
        new SessionListener() {
          @Override
          public void sessionEvent(Session session, Event event) {
            if (event == Event.Authenticated) {
              sessionOpened(session);
            }
          }

          @Override
          public void sessionClosed(Session session) {
            JobSshServer.this.sessionClosed(session);
          }
        });
  }

  public static JobSshServer start(Config config) throws IOException {
    JobSshServer s = new JobSshServer(config);
    try {
      s.server.start();
    } catch (IOException e) {
      s.close();
      throw e;
    }
    return s;
  }

  public int port() {
    return ((InetSocketAddress) server.getBoundAddresses().iterator().next()).getPort();
  }

  /** Accepts more public keys (OpenSSH lines); unparseable lines are logged and skipped. */
  public void addAuthorizedKeys(List<String> lines) {
    for (String line : lines) {
      try {
        AuthorizedKeyEntry entry = AuthorizedKeyEntry.parseAuthorizedKeyEntry(line);
        if (entry != null) {
          keys.add(entry.resolvePublicKey(null, PublicKeyEntryResolver.FAILING));
        }
      } catch (Exception e) {
        log.warning(
            "ignoring an unusable authorized key (" + e.getMessage() + "): " + abbrev(line));
      }
    }
  }

  /**
   * 0 while an authenticated session is open, else the whole seconds since the last one closed (or
   * since the start).
   */
  public synchronized long noConnectionsSecs() {
    return openSessions.isEmpty()
        ? Duration.ofNanos(System.nanoTime() - lastSessionClosedNanos).toSeconds()
        : 0;
  }

  /** Stops listening and closes every session, ending their processes. */
  @Override
  public void close() {
    try {
      server.stop(true);
    } catch (IOException e) {
      log.log(Level.WARNING, "cannot stop the job's SSH server", e);
    }
  }

  private boolean authenticate(String username, PublicKey key, ServerSession session) {
    return config.username().equals(username)
        && keys.stream().anyMatch(k -> KeyUtils.compareKeys(k, key));
  }

  // Only authenticated sessions count: a refused attempt is no use of the job.
  private synchronized void sessionOpened(Session session) {
    openSessions.add(session);
  }

  private synchronized void sessionClosed(Session session) {
    if (openSessions.remove(session)) {
      lastSessionClosedNanos = System.nanoTime();
    }
  }

  private static SimpleGeneratorHostKeyProvider hostKeys(Path file) {
    SimpleGeneratorHostKeyProvider provider = new SimpleGeneratorHostKeyProvider(file);
    // EC P-256 needs only the JDK (ed25519 host keys would need an extra library).
    provider.setAlgorithm(KeyUtils.EC_ALGORITHM);
    provider.setKeySize(256);
    synchronized (hostKeyLock) {
      provider.loadKeys(null);
    }
    return provider;
  }

  // Relative SFTP paths (scp's default target) resolve in the working directory, like commands.
  private static SftpSubsystemFactory sftp(Path workingDir) {
    return new SftpSubsystemFactory.Builder()
        .withFileSystemAccessor(
            new SftpFileSystemAccessor() {
              @Override
              public Path resolveLocalFilePath(
                  SftpSubsystemProxy subsystem, Path rootDir, String remotePath)
                  throws IOException {
                return SftpFileSystemAccessor.super.resolveLocalFilePath(
                    subsystem, workingDir, remotePath);
              }
            })
        .build();
  }

  // sshd runs the user's login shell; the agent's $SHELL stands for it.
  private static String loginShell() {
    String shell = System.getenv("SHELL");
    if (shell != null && !shell.isEmpty() && Files.isExecutable(Path.of(shell))) {
      return shell;
    }
    return Files.isExecutable(Path.of("/bin/bash")) ? "/bin/bash" : "/bin/sh";
  }

  private static String abbrev(String line) {
    return line.length() > 60 ? line.substring(0, 60) + "..." : line;
  }
}
