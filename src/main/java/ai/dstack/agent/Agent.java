package ai.dstack.agent;

import ai.dstack.agent.host.CommandRunner;
import ai.dstack.agent.host.Gpus;
import ai.dstack.agent.host.HostInfo;
import ai.dstack.agent.http.HttpServer;
import ai.dstack.agent.json.Json;
import ai.dstack.agent.shim.ShimApi;
import ai.dstack.agent.shim.Tasks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Logger;

/** One running agent: its tasks and the shim API over them. */
public final class Agent implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(Agent.class.getName());
  private final Tasks tasks;
  private final HttpServer http;
  private final CountDownLatch stopped = new CountDownLatch(1);

  private Agent(AgentSettings settings) throws IOException {
    Files.createDirectories(settings.home());
    writeHostInfo(settings.home());
    this.tasks = new Tasks(settings);
    this.http =
        new ShimApi(settings, tasks, force -> shutdownSoon()).routes(new HttpServer("shim"));
    http.start(settings.bindHost(), settings.httpPort());
    LOG.info(
        "dstack-agent "
            + settings.version()
            + " listening on "
            + settings.bindHost()
            + ":"
            + http.port()
            + ", home "
            + settings.home());
  }

  public static Agent start(AgentSettings settings) throws IOException {
    return new Agent(settings);
  }

  public int port() {
    return http.port();
  }

  /** Host facts for the server, written once per agent home as upstream's shim does. */
  private static void writeHostInfo(Path home) throws IOException {
    Path file = home.resolve("host_info.json");
    if (Files.exists(file)) {
      return;
    }
    HostInfo info = HostInfo.collect(home, Gpus.detect(CommandRunner.system()));
    Files.writeString(file, Json.write(info.toJson()));
  }

  /** Answers the shutdown request first, then stops; jobs keep running for the next agent. */
  private void shutdownSoon() {
    Thread stopper =
        new Thread(
            () -> {
              try {
                Thread.sleep(200);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              close();
            },
            "agent-shutdown");
    stopper.start();
  }

  public void awaitStop() throws InterruptedException {
    stopped.await();
  }

  @Override
  public void close() {
    http.close();
    tasks.close();
    stopped.countDown();
  }
}
