package ai.dstack.agent;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import java.util.logging.Logger;

/**
 * {@code java -jar dstack-agent.jar [--home DIR] [--port N] [--bind HOST]}: the host agent that
 * answers the server as upstream's dstack-shim and dstack-runner do.
 */
public final class AgentMain {
  private static final Logger LOG = Logger.getLogger(AgentMain.class.getName());

  private AgentMain() {}

  public static void main(String[] args) throws Exception {
    System.setProperty(
        "java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tLZ %4$s %3$s: %5$s%6$s%n");
    if (args.length == 1 && args[0].equals("--version")) {
      System.out.println(version());
      return;
    }
    AgentSettings settings;
    try {
      settings = AgentSettings.from(args, System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("dstack-agent: " + e.getMessage());
      System.exit(2);
      return;
    }
    Agent agent;
    try {
      agent = Agent.start(settings);
    } catch (IOException e) {
      LOG.severe("cannot start: " + e.getMessage());
      System.exit(1);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(agent::close));
    agent.awaitStop();
    System.exit(0);
  }

  /** The dstack version this agent was built with. */
  public static String version() {
    try (InputStream in = AgentMain.class.getResourceAsStream("/dstack-build.properties")) {
      Properties properties = new Properties();
      if (in != null) {
        properties.load(in);
      }
      String version = properties.getProperty("dstack.version", "");
      return version.isEmpty() || version.startsWith("$") ? "0.0.0" : version;
    } catch (IOException e) {
      return "0.0.0";
    }
  }
}
