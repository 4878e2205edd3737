package ai.dstack.agent.docker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.logging.Logger;

/** Whether this host has a Docker daemon the agent can run jobs in. */
public final class Docker {
  private static final Logger LOG = Logger.getLogger(Docker.class.getName());
  private static final Path DEFAULT_SOCKET = Path.of("/var/run/docker.sock");
  private static final Duration PING_TIMEOUT = Duration.ofSeconds(2);
  // HTTP/1.0 so that the daemon closes the connection after one plain (unchunked) response
  private static final byte[] PING =
      "GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final int MAX_RESPONSE = 64 * 1024;

  private Docker() {}

  /** {@link #daemonAnswers(String, Duration)} for this process's DOCKER_HOST. */
  public static boolean daemonAnswers() {
    return daemonAnswers(System.getenv("DOCKER_HOST"), PING_TIMEOUT);
  }

  /**
   * True only when a Docker daemon answers {@code GET /_ping} with {@code OK} within the timeout on
   * the socket {@code dockerHost} names ({@code unix://…}; the default socket when null or empty).
   */
  public static boolean daemonAnswers(String dockerHost, Duration timeout) {
    Optional<Path> socket = socketPath(dockerHost);
    if (socket.isEmpty()) {
      LOG.info("DOCKER_HOST " + dockerHost + " is not a unix socket: not using Docker");
      return false;
    }
    try {
      return isPong(exchange(socket.get(), timeout));
    } catch (IOException e) {
      LOG.fine("no Docker daemon on " + socket.get() + ": " + e.getMessage());
      return false;
    }
  }

  /** The unix socket of a DOCKER_HOST value, or empty when it names another transport. */
  public static Optional<Path> socketPath(String dockerHost) {
    if (dockerHost == null || dockerHost.isEmpty()) {
      return Optional.of(DEFAULT_SOCKET);
    }
    if (dockerHost.startsWith("unix://")) {
      return Optional.of(Path.of(dockerHost.substring("unix://".length())));
    }
    return Optional.empty();
  }

  private static String exchange(Path socket, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        Selector selector = Selector.open()) {
      // non-blocking throughout: a blocking channel's reads cannot time out
      channel.configureBlocking(false);
      SelectionKey key = channel.register(selector, 0);
      if (!channel.connect(UnixDomainSocketAddress.of(socket))) {
        await(key, SelectionKey.OP_CONNECT, deadline);
        channel.finishConnect();
      }
      ByteBuffer request = ByteBuffer.wrap(PING);
      while (request.hasRemaining()) {
        if (channel.write(request) == 0) {
          await(key, SelectionKey.OP_WRITE, deadline);
        }
      }
      ByteArrayOutputStream response = new ByteArrayOutputStream();
      ByteBuffer buffer = ByteBuffer.allocate(4096);
      while (response.size() < MAX_RESPONSE) {
        int read = channel.read(buffer);
        if (read < 0) {
          break;
        }
        if (read == 0) {
          await(key, SelectionKey.OP_READ, deadline);
        } else {
          response.write(buffer.array(), 0, read);
          buffer.clear();
        }
      }
      return response.toString(StandardCharsets.ISO_8859_1);
    }
  }

  private static void await(SelectionKey key, int operation, long deadline) throws IOException {
    key.interestOps(operation);
    long remainingMillis = (deadline - System.nanoTime()) / 1_000_000;
    // select(0) would wait forever
    if (remainingMillis <= 0 || key.selector().select(remainingMillis) == 0) {
      throw new IOException("no answer in time");
    }
    key.selector().selectedKeys().clear();
  }

  private static boolean isPong(String response) {
    int bodyStart = response.indexOf("\r\n\r\n");
    String statusLine = response.lines().findFirst().orElse("");
    return statusLine.matches("HTTP/1\\.[01] 200( .*)?")
        && bodyStart >= 0
        && response.substring(bodyStart + 4).strip().equals("OK");
  }
}
