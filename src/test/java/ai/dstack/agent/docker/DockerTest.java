package ai.dstack.agent.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DockerTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(2);

  @TempDir Path dir;

  @Test
  void noSocketMeansNoDaemon() {
    assertFalse(Docker.daemonAnswers("unix://" + dir.resolve("docker.sock"), TIMEOUT));
  }

  @Test
  void aDaemonAnsweringOkIsFound() throws Exception {
    Path socket = dir.resolve("docker.sock");
    AtomicReference<String> request = new AtomicReference<>();
    Thread server =
        serve(
            socket,
            request,
            "HTTP/1.1 200 OK\r\nApi-Version: 1.47\r\nContent-Length: 2\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n\r\nOK");
    assertTrue(Docker.daemonAnswers("unix://" + socket, TIMEOUT));
    server.join(5000);
    assertTrue(request.get().startsWith("GET /_ping HTTP/1.0\r\n"), request.get());
  }

  @Test
  void anotherAnswerIsNoDaemon() throws Exception {
    Path socket = dir.resolve("other.sock");
    Thread server =
        serve(socket, new AtomicReference<>(), "HTTP/1.1 500 Internal Server Error\r\n\r\nOK");
    assertFalse(Docker.daemonAnswers("unix://" + socket, TIMEOUT));
    server.join(5000);
  }

  @Test
  void aSilentSocketTimesOut() throws Exception {
    Path socket = dir.resolve("silent.sock");
    try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      listener.bind(UnixDomainSocketAddress.of(socket));
      long start = System.nanoTime();
      assertFalse(Docker.daemonAnswers("unix://" + socket, Duration.ofMillis(300)));
      assertTrue(System.nanoTime() - start < 3_000_000_000L);
    }
  }

  @Test
  void dockerHostNamesTheSocket() {
    assertEquals(Optional.of(Path.of("/var/run/docker.sock")), Docker.socketPath(null));
    assertEquals(Optional.of(Path.of("/var/run/docker.sock")), Docker.socketPath(""));
    assertEquals(
        Optional.of(Path.of("/run/user/1000/docker.sock")),
        Docker.socketPath("unix:///run/user/1000/docker.sock"));
    assertEquals(Optional.empty(), Docker.socketPath("tcp://10.0.0.2:2376"));
    assertFalse(Docker.daemonAnswers("tcp://127.0.0.1:1", TIMEOUT));
  }

  /** Accepts one connection, reads the request head, answers and closes. */
  private static Thread serve(Path socket, AtomicReference<String> request, String response)
      throws IOException {
    ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    listener.bind(UnixDomainSocketAddress.of(socket));
    Thread thread =
        new Thread(
            () -> {
              try (listener;
                  SocketChannel client = listener.accept()) {
                StringBuilder head = new StringBuilder();
                ByteBuffer buffer = ByteBuffer.allocate(1024);
                while (!head.toString().contains("\r\n\r\n") && client.read(buffer) > 0) {
                  head.append(
                      new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII));
                  buffer.clear();
                }
                request.set(head.toString());
                client.write(ByteBuffer.wrap(response.getBytes(StandardCharsets.US_ASCII)));
              } catch (IOException e) {
                request.set("server failed: " + e);
              }
            });
    thread.start();
    return thread;
  }
}
