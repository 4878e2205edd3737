package ai.dstack.server.it;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One server for every API test class of this test JVM (booting Payara takes ~15 s), on SQLite or
 * PostgreSQL as {@code -Dit.db} says. Test classes get an {@link Api} client as a parameter.
 */
public final class SharedServer implements ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(SharedServer.class);

  private record Holder(DstackServer server)
      implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    @Override
    public void close() throws Exception {
      server.stop();
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == Api.class || type == DstackServer.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    Holder holder =
        context
            .getRoot()
            .getStore(NAMESPACE)
            .getOrComputeIfAbsent("server", key -> boot(), Holder.class);
    if (parameter.getParameter().getType() == DstackServer.class) {
      return holder.server();
    }
    return new Api(holder.server().url(), holder.server().adminToken());
  }

  private static Holder boot() {
    try {
      Path work = Path.of(System.getProperty("it.workDir", "target/it"));
      Files.createDirectories(work);
      Path home =
          Files.createTempDirectory(work, "shared-" + System.getProperty("it.db", "sqlite") + "-");
      return new Holder(DstackServer.forConfiguredDatabase(home).start());
    } catch (Exception e) {
      throw new IllegalStateException("Could not start the shared server", e);
    }
  }
}
