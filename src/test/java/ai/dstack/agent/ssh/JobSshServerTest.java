package ai.dstack.agent.ssh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelShell;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Drives the job SSH server with the real OpenSSH client (and MINA's for window changes). */
class JobSshServerTest {
  private static final String USER = System.getProperty("user.name");
  private static final String RUNNER_REPLY = "hello from the runner";
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  @TempDir static Path keys;
  private static Path key;
  private static Path otherKey;
  private static Path laterKey;

  @TempDir Path workingDir;
  private ServerSocket runner;
  private JobSshServer server;

  @BeforeAll
  static void generateKeys() throws Exception {
    key = generateKey("key", "ed25519");
    otherKey = generateKey("other", "ed25519");
    // dstack's own keys are RSA
    laterKey = generateKey("later", "rsa");
  }

  @BeforeEach
  void start() throws Exception {
    runner = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread answering =
        new Thread(
            () -> {
              while (!runner.isClosed()) {
                try (Socket s = runner.accept()) {
                  s.getOutputStream().write((RUNNER_REPLY + "\n").getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                  // closed at the end of the test
                }
              }
            });
    answering.setDaemon(true);
    answering.start();
    Path envFile = workingDir.resolve("job.env");
    Files.writeString(envFile, "export JOB_GREETING='it'\\''s the job'\n");
    server =
        JobSshServer.start(
            new JobSshServer.Config(
                "127.0.0.1",
                0,
                keys.resolve("host_key"),
                USER,
                workingDir,
                envFile,
                List.of("", "not a key", publicKey(key)),
                Map.of(10999, runner.getLocalPort())));
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
    runner.close();
  }

  @Test
  void commandRunsInTheWorkingDirectoryWithTheJobEnvironment() throws Exception {
    Result r = ssh(key, USER, "pwd; echo \"$JOB_GREETING\"");
    assertEquals(0, r.exit(), r.stderr());
    assertEquals(workingDir + "\nit's the job\n", r.stdout());
  }

  @Test
  void worksWithoutAnEnvFile() throws Exception {
    server.close();
    server =
        JobSshServer.start(
            new JobSshServer.Config(
                "127.0.0.1",
                0,
                keys.resolve("host_key"),
                USER,
                workingDir,
                null,
                List.of(publicKey(key)),
                Map.of()));
    Result r = ssh(key, USER, "pwd; echo \"[$JOB_GREETING]\"");
    assertEquals(0, r.exit(), r.stderr());
    assertEquals(workingDir + "\n[]\n", r.stdout());
  }

  @Test
  void theHostKeyIsAnOwnerOnlyEcKeyInItsFile() throws Exception {
    Path file = keys.resolve("host_key");
    assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(file));
    Result derived = run(List.of("ssh-keygen", "-y", "-f", file.toString()), "");
    assertEquals(0, derived.exit(), derived.stderr());
    Result offered =
        run(List.of("ssh-keyscan", "-p", "" + server.port(), "-t", "ecdsa", "127.0.0.1"), "");
    String[] scanned = offered.stdout().trim().split(" ");
    assertEquals(3, scanned.length, offered.stdout() + offered.stderr());
    String[] expected = derived.stdout().trim().split(" ");
    assertEquals("ecdsa-sha2-nistp256", expected[0]);
    assertEquals(expected[0] + " " + expected[1], scanned[1] + " " + scanned[2]);
  }

  @Test
  void exitStatusAndStderrPassThrough() throws Exception {
    Result r = ssh(key, USER, "echo oops >&2; sh -c 'exit 7'");
    assertEquals(7, r.exit());
    // after the client's own warning about the unknown host key
    assertTrue(r.stderr().endsWith("\noops\n"), r.stderr());
  }

  @Test
  void anUnknownKeyIsRefused() throws Exception {
    Result r = ssh(otherKey, USER, "echo in");
    assertEquals(255, r.exit());
    assertEquals("", r.stdout());
    assertTrue(r.stderr().contains("Permission denied"), r.stderr());
  }

  @Test
  void anotherUserNameIsRefused() throws Exception {
    Result r = ssh(key, USER + "x", "echo in");
    assertEquals(255, r.exit());
    assertEquals("", r.stdout());
  }

  @Test
  void aKeyAddedLaterIsAccepted() throws Exception {
    assertEquals(255, ssh(laterKey, USER, "echo in").exit());
    server.addAuthorizedKeys(List.of(publicKey(laterKey)));
    Result r = ssh(laterKey, USER, "echo in");
    assertEquals(0, r.exit(), r.stderr());
    assertEquals("in\n", r.stdout());
  }

  @Test
  void localForwardOfTheRunnerPortReachesTheRemappedPort() throws Exception {
    int localPort;
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      localPort = free.getLocalPort();
    }
    Process tunnel =
        new ProcessBuilder(
                sshCommand(
                    key,
                    USER,
                    List.of("-o", "ExitOnForwardFailure=yes", "-L", localPort + ":localhost:10999"),
                    "sleep 10"))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    try {
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (true) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), localPort)) {
          String reply = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
          assertEquals(RUNNER_REPLY + "\n", reply);
          break;
        } catch (ConnectException e) {
          // ssh is not listening yet
          assertTrue(tunnel.isAlive() && System.nanoTime() < deadline, "no tunnel: " + e);
          Thread.sleep(100);
        }
      }
    } finally {
      tunnel.destroy();
    }
  }

  @Test
  void loopbackPortsWithoutRemapAreForwardedUnchanged() throws Exception {
    Result r = ssh(key, USER, List.of("-W", "127.0.0.1:" + runner.getLocalPort()));
    assertEquals(RUNNER_REPLY + "\n", r.stdout(), r.stderr());
  }

  @Test
  void forwardsToOtherHostsAreRefused() throws Exception {
    Result r = ssh(key, USER, List.of("-W", "192.0.2.1:10999"));
    assertEquals(255, r.exit());
    assertTrue(r.stderr().contains("administratively prohibited"), r.stderr());
  }

  @Test
  void remoteForwardsAreRefused() throws Exception {
    Result r =
        ssh(
            key,
            USER,
            List.of("-o", "ExitOnForwardFailure=yes", "-R", "0:localhost:10999"),
            "echo in");
    assertEquals(255, r.exit());
    assertEquals("", r.stdout());
    assertTrue(r.stderr().contains("remote port forwarding failed"), r.stderr());
  }

  @Test
  void interactiveShellWithATerminal() throws Exception {
    Result r = run(sshCommand(key, USER, List.of("-tt")), "echo $((6*7)); exit\n");
    assertEquals(0, r.exit(), r.stderr());
    // The terminal echoes the input and adds prompts, CRs and escape sequences around the answer.
    String plain = r.stdout().replaceAll("\u001B\\[[0-9;?]*[A-Za-z]", "");
    assertTrue(Arrays.asList(plain.split("[\r\n]+")).contains("42"), r.stdout());
  }

  @Test
  void shellWithoutATerminalReadsCommandsFromStdin() throws Exception {
    Result r = run(sshCommand(key, USER, List.of("-T")), "echo $((6*7)); pwd\n");
    assertEquals(0, r.exit(), r.stderr());
    assertEquals("42\n" + workingDir + "\n", r.stdout());
  }

  @Test
  void aShellAndItsJobsEndWhenTheClientGoesAway() throws Exception {
    Path pids = workingDir.resolve("pids");
    Process client =
        new ProcessBuilder(sshCommand(key, USER, List.of("-tt")))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    try {
      client
          .getOutputStream()
          .write("sleep 60 & echo $$ $! > pids.tmp; mv pids.tmp pids\n".getBytes());
      client.getOutputStream().flush();
      await(() -> Files.exists(pids), "the shell did not start");
    } finally {
      client.destroyForcibly();
    }
    // as with sshd: the shell gets a hangup and hangs up its (background) job
    for (String pid : readString(pids).trim().split(" ")) {
      await(
          () -> ProcessHandle.of(Long.parseLong(pid)).map(p -> !p.isAlive()).orElse(true),
          "still running: " + pid);
    }
  }

  @Test
  void commandWithATerminalKeepsItsExitStatus() throws Exception {
    Result r = ssh(key, USER, List.of("-tt"), "tty; exit 3");
    assertEquals(3, r.exit(), r.stderr());
    assertTrue(r.stdout().startsWith("/dev/pts/"), r.stdout());
  }

  @Test
  void windowChangesResizeTheTerminal() throws Exception {
    KeyPair pair = KeyPairGenerator.getInstance("EC").generateKeyPair();
    server.addAuthorizedKeys(List.of(PublicKeyEntry.toString(pair.getPublic())));
    SshClient client = SshClient.setUpDefaultClient();
    client.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE);
    client.start();
    try (ClientSession session =
        client.connect(USER, "127.0.0.1", server.port()).verify(TIMEOUT).getClientSession()) {
      session.addPublicKeyIdentity(pair);
      session.auth().verify(TIMEOUT);
      PipedOutputStream input = new PipedOutputStream();
      StringBuffer output = new StringBuffer();
      try (ChannelShell shell = session.createShellChannel()) {
        shell.setPtyColumns(100);
        shell.setPtyLines(30);
        shell.setIn(new PipedInputStream(input));
        OutputStream sink =
            new OutputStream() {
              @Override
              public void write(int b) {
                output.append((char) b);
              }
            };
        shell.setOut(sink);
        shell.setErr(sink);
        shell.open().verify(TIMEOUT);
        input.write("stty size\n".getBytes(StandardCharsets.UTF_8));
        input.flush();
        await(() -> output.toString().contains("30 100"), output);
        shell.sendWindowChange(120, 40);
        // stty runs asynchronously: ask until the new size shows
        await(
            () -> {
              try {
                input.write("stty size\n".getBytes(StandardCharsets.UTF_8));
                input.flush();
                Thread.sleep(200);
              } catch (IOException | InterruptedException e) {
                throw new AssertionError(e);
              }
              return output.toString().contains("40 120");
            },
            output);
      }
    } finally {
      client.stop();
    }
  }

  @Test
  void scpCopiesIntoTheWorkingDirectory() throws Exception {
    Path file = keys.resolve("payload.txt");
    Files.writeString(file, "payload\n");
    List<String> scp = new ArrayList<>(List.of("/usr/bin/scp", "-P", "" + server.port()));
    scp.addAll(clientOptions(key));
    scp.addAll(List.of(file.toString(), USER + "@127.0.0.1:copied.txt"));
    Result r = run(scp, "");
    assertEquals(0, r.exit(), r.stderr());
    assertEquals("payload\n", Files.readString(workingDir.resolve("copied.txt")));
  }

  @Test
  void noConnectionsSecsCountsFromTheLastSessionsEnd() throws Exception {
    Thread.sleep(1200);
    assertTrue(server.noConnectionsSecs() >= 1);
    Process session =
        new ProcessBuilder(sshCommand(key, USER, List.of(), "sleep 2"))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    try {
      await(() -> server.noConnectionsSecs() == 0, "the session never counted");
      assertTrue(session.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
    } finally {
      session.destroy();
    }
    assertEquals(0, session.exitValue());
    Thread.sleep(1200);
    assertTrue(server.noConnectionsSecs() >= 1);
  }

  private record Result(int exit, String stdout, String stderr) {}

  private Result ssh(Path key, String user, String command) throws Exception {
    return ssh(key, user, List.of(), command);
  }

  private Result ssh(Path key, String user, List<String> options, String... command)
      throws Exception {
    return run(sshCommand(key, user, options, command), "");
  }

  private List<String> sshCommand(
      Path key, String user, List<String> options, String... remoteCommand) {
    List<String> command = new ArrayList<>(List.of("/usr/bin/ssh", "-p", "" + server.port()));
    command.addAll(clientOptions(key));
    command.addAll(options);
    command.add(user + "@127.0.0.1");
    command.addAll(List.of(remoteCommand));
    return command;
  }

  private static List<String> clientOptions(Path key) {
    return List.of(
        "-F",
        "/dev/null",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "BatchMode=yes",
        "-o",
        "IdentitiesOnly=yes",
        "-i",
        key.toString());
  }

  private static Result run(List<String> command, String stdin) throws Exception {
    Path out = Files.createTempFile(keys, "out", ".txt");
    Path err = Files.createTempFile(keys, "err", ".txt");
    Process p =
        new ProcessBuilder(command)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    try (OutputStream in = p.getOutputStream()) {
      in.write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    if (!p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("timed out: " + command + "\n" + Files.readString(err));
    }
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  private static void await(BooleanSupplier condition, Object whatIfNot) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("timed out waiting: " + whatIfNot);
      }
      Thread.sleep(50);
    }
  }

  private static Path generateKey(String name, String type) throws Exception {
    Path file = keys.resolve(name);
    Result r = run(List.of("ssh-keygen", "-q", "-t", type, "-N", "", "-f", file.toString()), "");
    assertEquals(0, r.exit(), r.stderr());
    return file;
  }

  private static String readString(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static String publicKey(Path key) throws IOException {
    return Files.readString(Path.of(key + ".pub")).trim();
  }
}
