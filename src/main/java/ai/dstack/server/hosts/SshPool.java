package ai.dstack.server.hosts;

import com.jcraft.jsch.Channel;
import com.jcraft.jsch.ChannelExec;
import com.jcraft.jsch.ChannelSftp;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.Proxy;
import com.jcraft.jsch.Session;
import com.jcraft.jsch.SftpException;
import com.jcraft.jsch.SocketFactory;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * SSH sessions to hosts, one per login, kept open and reused for every command, upload and port
 * forward (upstream keeps OpenSSH control masters for the same reason: a handshake costs far more
 * than a channel). A session is checked before use at most every {@code checkInterval} and opened
 * again, once, when it is found dead.
 */
public final class SshPool implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(SshPool.class.getName());

  /** As upstream's tunnels: a keepalive every 10 s, the session given up after 3 unanswered. */
  private static final int SERVER_ALIVE_INTERVAL_MS = 10_000;

  private static final int SERVER_ALIVE_COUNT_MAX = 3;

  /** Exec and SFTP channels at once per session: below OpenSSH's default MaxSessions of 10. */
  private static final int CHANNELS_PER_SESSION = 8;

  /** Sessions nobody used for this long are closed (a deleted fleet's hosts). */
  private static final Duration IDLE_TIMEOUT = Duration.ofMinutes(10);

  /** Per stream: what a command may print before the rest is dropped. */
  private static final int MAX_OUTPUT = 4 << 20;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Duration connectTimeout;
  private final Duration checkInterval;
  private final Map<Key, Slot> slots = new ConcurrentHashMap<>();
  private final AtomicLong sweptAt = new AtomicLong(System.nanoTime());
  private volatile boolean closed;

  public SshPool(Duration connectTimeout, Duration checkInterval) {
    this.connectTimeout = connectTimeout;
    this.checkInterval = checkInterval;
  }

  /** What a command printed and how it ended. */
  public record ExecResult(int exitCode, String stdout, String stderr) {}

  /** Runs {@code command} with the login shell of the target's user. */
  public ExecResult exec(HostTarget target, String command, Duration timeout) throws HostException {
    return withChannel(
        target,
        "exec",
        (session, channel) -> {
          ChannelExec exec = (ChannelExec) channel;
          CountDownLatch closed = new CountDownLatch(2);
          Collector out = new Collector(closed);
          Collector err = new Collector(closed);
          exec.setCommand(command);
          // an empty stdin: the command sees end of input instead of waiting for it
          exec.setInputStream(new ByteArrayInputStream(new byte[0]));
          exec.setOutputStream(out);
          exec.setErrStream(err);
          exec.connect(millis(connectTimeout));
          try {
            if (!closed.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
              throw new HostException(
                  "Command timed out after "
                      + seconds(timeout)
                      + " on "
                      + target.hostname()
                      + ": "
                      + firstWord(command));
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HostException("Interrupted while running a command on " + target.hostname());
          }
          int exitCode = exec.getExitStatus();
          if (exitCode < 0 && !session.isConnected()) {
            throw new HostException(
                "Connection to " + target.address() + " lost while running " + firstWord(command));
          }
          return new ExecResult(exitCode, out.text(), err.text());
        });
  }

  /**
   * Writes {@code content} to {@code remotePath} (relative to the user's home unless absolute)
   * through SFTP: into a temporary name beside it first, then renamed over it, so nobody sees a
   * half-written file.
   */
  public void upload(HostTarget target, InputStream content, String remotePath, int mode)
      throws HostException {
    withChannel(
        target,
        "sftp",
        (session, channel) -> {
          ChannelSftp sftp = (ChannelSftp) channel;
          sftp.connect(millis(connectTimeout));
          String temporary = remotePath + ".tmp-" + HexFormat.of().toHexDigits(RANDOM.nextInt());
          try {
            sftp.put(content, temporary);
            sftp.chmod(mode, temporary);
            sftp.rename(temporary, remotePath);
          } catch (SftpException e) {
            try {
              sftp.rm(temporary);
            } catch (SftpException ignored) {
              // it was never created
            }
            throw new HostException(
                "Cannot upload " + remotePath + " to " + target.hostname() + ": " + e.getMessage(),
                e);
          }
          return null;
        });
  }

  /**
   * A port on 127.0.0.1 here that reaches 127.0.0.1:{@code remotePort} on the host through its
   * session; the same port for every call until the session is opened again.
   */
  public int forward(HostTarget target, int remotePort) throws HostException {
    Slot slot = slot(target);
    return slot.forward(remotePort);
  }

  /**
   * Whether the target's pooled session is open and answers a round trip now; opens nothing. Tells
   * a dead session from a dead service behind a forward.
   */
  public boolean responsive(HostTarget target) {
    Slot slot = slots.get(Key.of(target));
    return slot != null && slot.responsive();
  }

  /** Closes the target's session: the next call opens a new one. */
  public void invalidate(HostTarget target) {
    Slot slot = slots.remove(Key.of(target));
    if (slot != null) {
      slot.drop();
    }
  }

  /** Sessions currently connected (jump hosts included). */
  public int openSessions() {
    int open = 0;
    for (Slot slot : slots.values()) {
      if (slot.connected()) {
        open++;
      }
    }
    return open;
  }

  @Override
  public void close() {
    closed = true;
    for (Slot slot : new ArrayList<>(slots.values())) {
      slot.drop();
    }
    slots.clear();
  }

  private interface ChannelWork<T> {
    T run(Session session, Channel channel) throws HostException, JSchException;
  }

  /**
   * Runs {@code work} on a new channel of the target's session. When the channel cannot be opened
   * (the session turns out to be dead), the session is opened again once and the work retried:
   * nothing ran on the host then.
   */
  private <T> T withChannel(HostTarget target, String type, ChannelWork<T> work)
      throws HostException {
    Slot slot = slot(target);
    for (int attempt = 1; ; attempt++) {
      Session session = slot.session();
      slot.acquireChannel();
      Channel channel = null;
      try {
        channel = session.openChannel(type);
        return work.run(session, channel);
      } catch (JSchException e) {
        boolean neverOpened = channel == null || !channel.isConnected();
        // a session can still say connected while its reader thread is gone (JSch then fails
        // opening channels): a channel that never opened means nothing ran, so reconnect once
        if (attempt == 1 && neverOpened) {
          slot.dropIfCurrent(session);
          continue;
        }
        throw new HostException(
            "SSH " + type + " on " + target.address() + " failed: " + reason(e, connectTimeout), e);
      } finally {
        if (channel != null) {
          channel.disconnect();
        }
        slot.releaseChannel();
      }
    }
  }

  private Slot slot(HostTarget target) throws HostException {
    if (closed) {
      throw new HostException("The SSH pool is closed");
    }
    sweepIdle();
    Slot slot = slots.computeIfAbsent(Key.of(target), key -> new Slot(target));
    slot.touch();
    return slot;
  }

  /** Closes sessions nobody used for a while; called with no slot's lock held. */
  private void sweepIdle() {
    long now = System.nanoTime();
    long last = sweptAt.get();
    if (now - last < IDLE_TIMEOUT.toNanos() / 10 || !sweptAt.compareAndSet(last, now)) {
      return;
    }
    slots.values().removeIf(slot -> slot.idleFor(now) > IDLE_TIMEOUT.toNanos() && slot.drop());
  }

  /**
   * Identifies a session: the login, its jump host, and the keys. The keys are part of it so that a
   * target never rides on a session another target's keys opened.
   */
  private record Key(String hostname, int port, String user, Key proxy, List<String> keys) {
    static Key of(HostTarget target) {
      List<String> fingerprints = new ArrayList<>();
      for (SshKey key : target.keys()) {
        fingerprints.add(sha256(key.privateKey()));
      }
      return new Key(
          target.hostname(),
          target.port(),
          target.user(),
          target.proxy() == null ? null : of(target.proxy().asTarget()),
          fingerprints);
    }
  }

  /** One login's session, opened on demand. */
  private final class Slot {
    private final HostTarget target;
    private final Semaphore channels = new Semaphore(CHANNELS_PER_SESSION);
    private final Map<Integer, Integer> forwards = new HashMap<>();
    private Session session;
    private volatile Slot jump;
    private long checkedAt;
    private volatile long usedAt = System.nanoTime();

    Slot(HostTarget target) {
      this.target = target;
    }

    void touch() {
      usedAt = System.nanoTime();
      Slot through = jump;
      if (through != null) {
        through.touch();
      }
    }

    long idleFor(long now) {
      return now - usedAt;
    }

    synchronized boolean connected() {
      return session != null && session.isConnected();
    }

    synchronized boolean responsive() {
      if (session == null || !session.isConnected() || !answers(session)) {
        return false;
      }
      checkedAt = System.nanoTime();
      return true;
    }

    /** The live session: checked when due, opened (again) when missing or dead. */
    synchronized Session session() throws HostException {
      if (session != null && session.isConnected()) {
        long now = System.nanoTime();
        if (now - checkedAt < checkInterval.toNanos()) {
          return session;
        }
        if (answers(session)) {
          checkedAt = now;
          return session;
        }
        LOG.info("SSH session to " + target.login() + " stopped answering; reconnecting");
      }
      drop();
      session = open();
      checkedAt = System.nanoTime();
      return session;
    }

    synchronized int forward(int remotePort) throws HostException {
      Session live = session();
      Integer local = forwards.get(remotePort);
      if (local == null) {
        try {
          local = live.setPortForwardingL("127.0.0.1", 0, "127.0.0.1", remotePort);
        } catch (JSchException e) {
          throw new HostException(
              "Cannot forward port "
                  + remotePort
                  + " of "
                  + target.hostname()
                  + ": "
                  + reason(e, connectTimeout),
              e);
        }
        forwards.put(remotePort, local);
      }
      return local;
    }

    /** A round trip: the host confirms a new channel (cheap: sshd forks nothing for it). */
    private boolean answers(Session live) {
      try {
        Channel probe = live.openChannel("session");
        try {
          probe.connect(millis(connectTimeout));
          return true;
        } finally {
          probe.disconnect();
        }
      } catch (JSchException e) {
        return false;
      }
    }

    private Session open() throws HostException {
      JSch jsch = new JSch();
      for (int i = 0; i < target.keys().size(); i++) {
        SshKey key = target.keys().get(i);
        try {
          jsch.addIdentity(
              target.login() + "#" + (i + 1),
              key.privateKey().getBytes(StandardCharsets.UTF_8),
              null,
              null);
        } catch (JSchException e) {
          throw new HostException(
              "SSH key #" + (i + 1) + " for " + target.login() + " is not a usable private key", e);
        }
      }
      Session opened;
      try {
        opened = jsch.getSession(target.user(), target.hostname(), target.port());
        opened.setConfig("StrictHostKeyChecking", "no");
        opened.setConfig("PreferredAuthentications", "publickey");
        // old hosts (OpenSSH < 7.2) know only SHA-1 RSA signatures: allowed, as the last choice
        opened.setConfig(
            "PubkeyAcceptedAlgorithms", JSch.getConfig("PubkeyAcceptedAlgorithms") + ",ssh-rsa");
        opened.setConfig("server_host_key", JSch.getConfig("server_host_key") + ",ssh-rsa");
        opened.setServerAliveInterval(SERVER_ALIVE_INTERVAL_MS);
        opened.setServerAliveCountMax(SERVER_ALIVE_COUNT_MAX);
        opened.setDaemonThread(true);
      } catch (JSchException e) {
        throw new HostException("Cannot connect to " + target.address() + ": " + e.getMessage(), e);
      }
      if (target.proxy() != null) {
        // no sweeping here: this slot's lock is held
        HostTarget jumpTarget = target.proxy().asTarget();
        jump = slots.computeIfAbsent(Key.of(jumpTarget), key -> new Slot(jumpTarget));
        Session through;
        try {
          through = jump.session();
        } catch (HostException e) {
          throw new HostException("Proxy jump: " + e.getMessage(), e);
        }
        opened.setProxy(new JumpProxy(through));
      }
      try {
        opened.connect(millis(connectTimeout));
      } catch (JSchException e) {
        throw connectFailure(e);
      }
      LOG.fine("SSH session opened to " + target.login());
      return opened;
    }

    private HostException connectFailure(JSchException e) {
      String message = e.getMessage() == null ? "" : e.getMessage();
      if (message.startsWith("Auth fail") || message.startsWith("Auth cancel")) {
        int keys = target.keys().size();
        return new HostException(
            "Authentication failed for "
                + target.login()
                + " with "
                + keys
                + (keys == 1 ? " key" : " keys"),
            e);
      }
      String where =
          target.proxy() == null
              ? target.address()
              : target.address() + " through " + target.proxy().hostname();
      return new HostException("Cannot connect to " + where + ": " + reason(e, connectTimeout), e);
    }

    void acquireChannel() throws HostException {
      try {
        channels.acquire();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new HostException(
            "Interrupted while waiting for an SSH channel to " + target.login());
      }
    }

    void releaseChannel() {
      channels.release();
    }

    synchronized void dropIfCurrent(Session dead) {
      if (session == dead) {
        drop();
      }
    }

    /** Disconnects (which also closes its forwarded ports); true so it can sit in a filter. */
    synchronized boolean drop() {
      if (session != null) {
        session.disconnect();
        LOG.fine("SSH session to " + target.login() + " closed");
      }
      session = null;
      forwards.clear();
      return true;
    }
  }

  /** Carries a session over a direct-tcpip channel of the jump host's session (ProxyJump). */
  private static final class JumpProxy implements Proxy {
    private final Session jump;
    private Channel channel;
    private InputStream in;
    private OutputStream out;

    JumpProxy(Session jump) {
      this.jump = jump;
    }

    @Override
    public void connect(SocketFactory factory, String host, int port, int timeout)
        throws JSchException {
      try {
        channel = jump.getStreamForwarder(host, port);
        in = channel.getInputStream();
        out = channel.getOutputStream();
      } catch (java.io.IOException e) {
        throw new JSchException(e.toString(), e);
      }
      try {
        channel.connect(timeout);
      } catch (JSchException e) {
        throw new JSchException("the jump host could not open a connection to it", e);
      }
    }

    @Override
    public InputStream getInputStream() {
      return in;
    }

    @Override
    public OutputStream getOutputStream() {
      return out;
    }

    @Override
    public Socket getSocket() {
      return null;
    }

    @Override
    public void close() {
      if (channel != null) {
        channel.disconnect();
      }
    }
  }

  /** A command's stdout or stderr; JSch closes it when the channel closes. */
  private static final class Collector extends OutputStream {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final CountDownLatch closed;
    private final AtomicBoolean done = new AtomicBoolean();

    Collector(CountDownLatch closed) {
      this.closed = closed;
    }

    @Override
    public synchronized void write(int b) {
      if (bytes.size() < MAX_OUTPUT) {
        bytes.write(b);
      }
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      bytes.write(b, off, Math.max(0, Math.min(len, MAX_OUTPUT - bytes.size())));
    }

    @Override
    public void close() {
      if (done.compareAndSet(false, true)) {
        closed.countDown();
      }
    }

    synchronized String text() {
      return bytes.toString(StandardCharsets.UTF_8);
    }
  }

  /** The cause of a failure in a few words (refused, timed out, unknown host, …). */
  static String reason(Throwable failure, Duration connectTimeout) {
    Throwable root = failure;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    if (root instanceof SocketTimeoutException
        || String.valueOf(failure.getMessage()).startsWith("timeout")) {
      return "timed out after " + seconds(connectTimeout);
    }
    if (root instanceof UnknownHostException) {
      return "unknown host";
    }
    if (root instanceof ConnectException && root.getMessage() != null) {
      return root.getMessage();
    }
    String message = root.getMessage() != null ? root.getMessage() : failure.getMessage();
    return message == null ? root.getClass().getSimpleName() : message;
  }

  private static String seconds(Duration duration) {
    return duration.toMillis() % 1000 == 0
        ? duration.toSeconds() + " s"
        : String.format("%.1f s", duration.toMillis() / 1000.0);
  }

  private static String firstWord(String command) {
    String trimmed = command.strip();
    int end = trimmed.indexOf(' ');
    return end < 0 ? trimmed : trimmed.substring(0, end);
  }

  private static int millis(Duration duration) {
    return (int) Math.min(Integer.MAX_VALUE, duration.toMillis());
  }

  private static String sha256(String text) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
