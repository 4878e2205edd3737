package ai.dstack.agent.ssh;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.sshd.common.channel.Channel;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.Signal;
import org.apache.sshd.server.SignalListener;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;

/**
 * A shell or command of an SSH session, run as a process of the agent's user, as sshd would run it,
 * in the job's working directory and environment. With a pty request it runs under util-linux
 * {@code script}, the only way to give it a terminal without native code.
 */
final class JobProcess implements Command, SignalListener {
  private static final Logger log = Logger.getLogger(JobProcess.class.getName());

  /** How every process of a job starts; envFile may be null. */
  record Launch(String shell, Path workingDir, Path envFile) {}

  private final Launch launch;
  private final String command;
  private InputStream in;
  private OutputStream out;
  private OutputStream err;
  private ExitCallback exit;
  private Environment env;
  private boolean pty;
  private volatile Process process;

  /** command: what the client asked to execute, or null for the login shell. */
  JobProcess(Launch launch, String command) {
    this.launch = launch;
    this.command = command;
  }

  @Override
  public void setInputStream(InputStream in) {
    this.in = in;
  }

  @Override
  public void setOutputStream(OutputStream out) {
    this.out = out;
  }

  @Override
  public void setErrorStream(OutputStream err) {
    this.err = err;
  }

  @Override
  public void setExitCallback(ExitCallback exit) {
    this.exit = exit;
  }

  @Override
  public void start(ChannelSession channel, Environment env) throws IOException {
    this.env = env;
    Map<String, String> vars = env.getEnv();
    // MINA sets TERM from the pty request (OpenSSH clients send no TERM otherwise).
    String term = vars.get(Environment.ENV_TERM);
    pty = term != null;
    ProcessBuilder builder =
        new ProcessBuilder(commandLine(vars)).directory(launch.workingDir().toFile());
    Map<String, String> processEnv = builder.environment();
    processEnv.put("SHELL", launch.shell());
    // The agent's TERM (if any) describes whatever terminal started the agent, not the client's.
    processEnv.remove("TERM");
    if (pty) {
      processEnv.put("TERM", term);
    }
    // The locale variables sshd accepts by default (AcceptEnv LANG LC_*).
    vars.forEach(
        (name, value) -> {
          if (name.equals("LANG") || name.startsWith("LC_")) {
            processEnv.put(name, value);
          }
        });
    Process p = builder.start();
    process = p;
    if (pty) {
      env.addSignalListener(this, Signal.WINCH);
    }
    thread(
        "stdin",
        () -> {
          try (OutputStream stdin = p.getOutputStream()) {
            copy(in, stdin);
          } catch (IOException e) {
            // the process is gone
          }
        });
    Thread stderr = thread("stderr", () -> copy(p.getErrorStream(), err));
    thread(
        "stdout",
        () -> {
          copy(p.getInputStream(), out);
          try {
            stderr.join();
            exit.onExit(p.waitFor());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
  }

  /**
   * Ends the process if the channel closes first (the client went away). Under script, the shell or
   * command gets the hangup sshd's closing the terminal would cause (a shell then hangs up its
   * jobs; script itself would answer a TERM by killing the shell). Without a terminal, as under
   * sshd, the rest only finds its output closed.
   */
  @Override
  public void destroy(ChannelSession channel) {
    Process p = process;
    if (p == null || !p.isAlive()) {
      return;
    }
    Optional<ProcessHandle> session = terminalSession(p);
    if (session.isPresent()) {
      run("kill", "-HUP", Long.toString(session.get().pid()));
    } else {
      p.destroy();
    }
  }

  /** Window change: resizes script's terminal, whose foreground processes then get SIGWINCH. */
  @Override
  public void signal(Channel channel, Signal signal) {
    Map<String, String> vars = env.getEnv();
    String columns = vars.get(Environment.ENV_COLUMNS);
    String lines = vars.get(Environment.ENV_LINES);
    if (!isSize(columns) || !isSize(lines)) {
      return;
    }
    terminalSession(process)
        .ifPresent(
            session -> {
              try {
                // the terminal is the session's standard input
                Path tty = Files.readSymbolicLink(Path.of("/proc/" + session.pid() + "/fd/0"));
                if (tty.startsWith("/dev/pts/")) {
                  run("stty", "-F", tty.toString(), "cols", columns, "rows", lines);
                }
              } catch (IOException e) {
                log.log(Level.FINE, "cannot resize the terminal", e);
              }
            });
  }

  /** With a pty: script's child, the shell or command (it leads the terminal's session). */
  private Optional<ProcessHandle> terminalSession(Process p) {
    return pty ? p.children().findFirst() : Optional.empty();
  }

  private static void run(String... command) {
    try {
      new ProcessBuilder(command)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
    } catch (IOException e) {
      log.log(Level.WARNING, "cannot run " + command[0], e);
    }
  }

  /**
   * The command through the login shell (as sshd runs it), or the login shell itself (reading the
   * client's input); with a pty, under script, after setting the client's terminal size. sh sources
   * the env file first: it is POSIX sh, the login shell need not be.
   */
  private List<String> commandLine(Map<String, String> vars) {
    List<String> line = new ArrayList<>();
    Path envFile = launch.envFile();
    if (envFile != null) {
      // the file is $0, the process to become the rest
      line.addAll(
          List.of(
              "/bin/sh",
              "-c",
              ". \"$0\" || exit; exec \"$@\"",
              envFile.toAbsolutePath().toString()));
    }
    String shell = launch.shell();
    if (pty) {
      String columns = vars.get(Environment.ENV_COLUMNS);
      String lines = vars.get(Environment.ENV_LINES);
      String size =
          isSize(columns) && isSize(lines)
              ? "stty cols " + columns + " rows " + lines + " 2>/dev/null; "
              : "";
      String body = command != null ? command : "exec " + quote(shell) + " -l";
      // -e: exit with the status of the shell or command; script runs it with $SHELL -c
      line.addAll(List.of("script", "-qefc", size + body, "/dev/null"));
    } else if (command != null) {
      line.addAll(List.of(shell, "-c", command));
    } else {
      line.addAll(List.of(shell, "-l"));
    }
    return line;
  }

  // Clients without a terminal of their own report 0 x 0: leave the size unset then.
  private static boolean isSize(String value) {
    return value != null && value.matches("[0-9]{1,5}") && Integer.parseInt(value) > 0;
  }

  private static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  private Thread thread(String stream, Runnable body) {
    Thread t = new Thread(body, "job-ssh-" + stream + "-" + process.pid());
    t.setDaemon(true);
    t.start();
    return t;
  }

  /**
   * Copies until end of input; a failed write (the reader is gone) ends it too, and closing the
   * input then lets the writer at its other end see a broken pipe.
   */
  private static void copy(InputStream from, OutputStream to) {
    byte[] buffer = new byte[8192];
    try (from) {
      for (int n; (n = from.read(buffer)) >= 0; ) {
        to.write(buffer, 0, n);
        to.flush();
      }
    } catch (IOException e) {
      // as described above
    }
  }
}
