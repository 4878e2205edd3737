package ai.dstack.server.hosts;

import ai.dstack.server.ServerContext;
import ai.dstack.server.settings.HostSettings;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;

/**
 * The server's one way to hosts: one SSH session pool for every pipeline worker, the agent client
 * over it, and the agent jar the WAR carries, unpacked once for uploads.
 */
@ApplicationScoped
public class HostAccess {
  private static final String AGENT_JAR_RESOURCE = "/dstack-agent.jar";

  @Inject private ServerContext server;
  private SshPool pool;
  private HostDeployer deployer;
  private AgentClient agent;
  private Path agentJar;
  private HostSettings settings;

  @PostConstruct
  void open() {
    settings = server.settings().hosts();
    pool = new SshPool(settings.connectTimeout(), Duration.ofSeconds(30));
    agent = new AgentClient(pool, settings.agentPort(), Duration.ofSeconds(9));
    deployer = new HostDeployer(pool, agent);
    agentJar = unpackAgentJar(server.settings().serverDir().resolve("agent"));
  }

  @PreDestroy
  void close() {
    pool.close();
  }

  public SshPool pool() {
    return pool;
  }

  /** The agents' HTTP APIs (shim and job runners) over the pooled sessions. */
  public AgentClient agent() {
    return agent;
  }

  public HostDeployer deployer() {
    return deployer;
  }

  public HostSettings settings() {
    return settings;
  }

  /** Deploy settings for one fleet: its {@code env} goes to the agent. */
  public HostDeployer.Settings deploySettings(Map<String, String> env) {
    return new HostDeployer.Settings(
        agentJar,
        HostDeployer.Settings.DEFAULT_AGENT_HOME,
        settings.agentPort(),
        env,
        Duration.ofMinutes(2),
        Duration.ofMinutes(1));
  }

  private static Path unpackAgentJar(Path dir) {
    try (InputStream in = HostAccess.class.getResourceAsStream(AGENT_JAR_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the WAR carries no " + AGENT_JAR_RESOURCE);
      }
      Files.createDirectories(dir);
      Path jar = dir.resolve("dstack-agent.jar");
      Path tmp = dir.resolve("dstack-agent.jar.tmp");
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return jar;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot unpack the agent jar into " + dir, e);
    }
  }
}
