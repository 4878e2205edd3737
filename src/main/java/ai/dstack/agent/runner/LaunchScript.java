package ai.dstack.agent.runner;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The shell script a job is started with. It outlives the agent if it must, gives the job a
 * pseudo-terminal (util-linux {@code script}, as upstream's runner runs jobs on a PTY) and writes
 * the exit status to a file, which is how a restarted agent learns how a job ended.
 */
final class LaunchScript {
  static final Path TERMINAL_RELAY = Path.of("/usr/bin/script");

  private LaunchScript() {}

  static String forProcess(List<String> command, Path workingDir, Path jobDir, String userShell) {
    String exec = "exec " + join(command);
    String run;
    if (Files.isExecutable(TERMINAL_RELAY)) {
      // script runs the string with $SHELL: use sh for that and hand the job its own SHELL back
      String inner = (userShell == null ? "" : "SHELL=" + quote(userShell) + " ") + exec;
      run = "SHELL=/bin/sh " + TERMINAL_RELAY + " -qefc " + quote(inner) + " /dev/null </dev/null";
    } else {
      run = "(" + exec + ") </dev/null";
    }
    return script(workingDir, jobDir, run);
  }

  private static String script(Path workingDir, Path jobDir, String run) {
    String code = quote(jobDir.resolve("exit_code").toString());
    String tmp = quote(jobDir.resolve("exit_code.tmp").toString());
    String record = "echo \"$status\" > " + tmp + " && mv " + tmp + " " + code;
    return "#!/bin/sh\n"
        + "# written by dstack-agent: runs the job and records its exit status\n"
        + "cd "
        + quote(workingDir.toString())
        + " || { status=1; "
        + record
        + "; exit 1; }\n"
        + run
        + "\nstatus=$?\n"
        + record
        + "\n";
  }

  /** A container job: pull (with the task's registry credentials) then run in the foreground. */
  static String forContainer(List<String> pull, List<String> run, Path jobDir) {
    String line = join(pull) + " >/dev/null && " + join(run) + " </dev/null";
    return script(jobDir, jobDir, line);
  }

  private static String join(List<String> argv) {
    return argv.stream().map(LaunchScript::quote).collect(Collectors.joining(" "));
  }

  static String quote(String s) {
    return "'" + s.replace("'", "'\"'\"'") + "'";
  }
}
