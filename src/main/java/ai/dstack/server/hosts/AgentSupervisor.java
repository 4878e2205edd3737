package ai.dstack.server.hosts;

/**
 * How the agent is kept running on a host, best first: a systemd system unit (root on a systemd
 * host), a systemd user unit (a user whose manager outlives the SSH session: lingering on), or the
 * supervisor process of {@code dstack-agent.sh}. All of them run {@code dstack-agent.sh run}.
 */
enum AgentSupervisor {
  SYSTEMD_SYSTEM("systemd-system", "systemctl", "multi-user.target"),
  SYSTEMD_USER("systemd-user", "systemctl --user", "default.target"),
  PROCESS("process", null, null);

  /** Prints the name of the best supervisor this user has on the host. */
  static final String DETECT =
      "if [ \"$(id -u)\" = 0 ] && [ -d /run/systemd/system ]"
          + " && systemctl show --property=Version >/dev/null 2>&1; then echo systemd-system;"
          + " elif systemctl --user show-environment >/dev/null 2>&1"
          + " && [ \"$(loginctl show-user \"$(id -un)\" --property=Linger --value 2>/dev/null)\""
          + " = yes ]; then echo systemd-user;"
          + " else echo process; fi";

  /** What {@link #statusCommand} prints when the agent is supervised. */
  static final String RUNNING = "supervisor running";

  private final String wireName;
  private final String systemctl;
  private final String wantedBy;

  AgentSupervisor(String wireName, String systemctl, String wantedBy) {
    this.wireName = wireName;
    this.systemctl = systemctl;
    this.wantedBy = wantedBy;
  }

  /** {@code systemd-system}, {@code systemd-user} or {@code process}. */
  String wireName() {
    return wireName;
  }

  static AgentSupervisor named(String name) {
    for (AgentSupervisor supervisor : values()) {
      if (supervisor.wireName.equals(name)) {
        return supervisor;
      }
    }
    return null;
  }

  boolean systemd() {
    return systemctl != null;
  }

  String unitName(int port) {
    return "dstack-agent-" + port + ".service";
  }

  /** Where the unit file goes, or null for {@link #PROCESS}. */
  String unitPath(String userHome, int port) {
    return switch (this) {
      case SYSTEMD_SYSTEM -> "/etc/systemd/system/" + unitName(port);
      case SYSTEMD_USER -> userHome + "/.config/systemd/user/" + unitName(port);
      case PROCESS -> null;
    };
  }

  /**
   * The unit: restarted whenever it exits, as upstream's shim unit; only the agent's own process is
   * stopped with it, since jobs outlive an agent restart (a new agent re-attaches to them).
   */
  String unitText(String agentHome, int port) {
    return "[Unit]\n"
        + "Description=dstack agent (shim API on 127.0.0.1:"
        + port
        + ")\n"
        + "After=network-online.target\n"
        + "Wants=network-online.target\n"
        + "StartLimitIntervalSec=0\n"
        + "\n"
        + "[Service]\n"
        + "WorkingDirectory="
        + agentHome
        + "\n"
        + "ExecStart=/bin/sh "
        + agentHome
        + "/dstack-agent.sh run\n"
        + "Restart=always\n"
        + "RestartSec=2\n"
        + "KillMode=process\n"
        + "\n"
        + "[Install]\n"
        + "WantedBy="
        + wantedBy
        + "\n";
  }

  /** Starts the agent, or restarts it so that it runs the files just written. */
  String startCommand(String agentHome, int port) {
    if (!systemd()) {
      return script(agentHome, "restart");
    }
    String unit = unitName(port);
    return systemctl
        + " daemon-reload && "
        + systemctl
        + " enable --quiet "
        + unit
        + " && "
        + systemctl
        + " restart "
        + unit;
  }

  /** Starts the agent again after it died or hung. */
  String restartCommand(String agentHome, int port) {
    if (!systemd()) {
      return script(agentHome, "restart");
    }
    String unit = unitName(port);
    return systemctl + " reset-failed " + unit + " 2>/dev/null; " + systemctl + " restart " + unit;
  }

  /** Stops the agent and removes its supervision (the unit, or the supervisor process). */
  String stopCommand(String agentHome, String userHome, int port) {
    if (!systemd()) {
      return "if [ -f "
          + Shell.quote(agentHome + "/dstack-agent.sh")
          + " ]; then "
          + script(agentHome, "stop")
          + "; fi";
    }
    String unit = unitName(port);
    return systemctl
        + " disable --now --quiet "
        + unit
        + " 2>/dev/null; rm -f "
        + Shell.quote(unitPath(userHome, port))
        + " && "
        + systemctl
        + " daemon-reload";
  }

  /** Prints {@link #RUNNING} when the agent is under this supervisor's care. */
  String statusCommand(String agentHome, int port) {
    if (!systemd()) {
      return script(agentHome, "status");
    }
    return systemctl
        + " is-active --quiet "
        + unitName(port)
        + " && echo "
        + Shell.quote(RUNNING)
        + " || true";
  }

  /** Prints the agent's last line of output, for a message when it does not come up. */
  String lastLogCommand(String agentHome, int port) {
    if (!systemd()) {
      return "tail -n 1 " + Shell.quote(agentHome + "/agent.log") + " 2>/dev/null || true";
    }
    String user = this == SYSTEMD_USER ? " --user" : "";
    return "journalctl"
        + user
        + " -u "
        + unitName(port)
        + " -n 1 --no-pager -o cat 2>/dev/null || true";
  }

  private static String script(String agentHome, String command) {
    return "sh " + Shell.quote(agentHome + "/dstack-agent.sh") + " " + command;
  }
}
