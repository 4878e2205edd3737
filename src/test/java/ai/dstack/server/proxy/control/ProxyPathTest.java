package ai.dstack.server.proxy.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import org.junit.jupiter.api.Test;

class ProxyPathTest {
  @Test
  void aPathUnderTheRunIsProxiedWithoutThePrefixByDefault() {
    var path =
        assertInstanceOf(
            ProxyPath.Proxied.class, ProxyPath.parse("/proxy/services/main/svc/v1/models"));
    assertEquals("main", path.projectName());
    assertEquals("svc", path.runName());
    assertEquals("/v1/models", path.replicaPath(true));
    assertEquals("/proxy/services/main/svc/v1/models", path.replicaPath(false));
  }

  @Test
  void theServiceRootWithItsSlashGoesToTheReplicaRoot() {
    var path =
        assertInstanceOf(ProxyPath.Proxied.class, ProxyPath.parse("/proxy/services/main/svc/"));
    assertEquals("/", path.replicaPath(true));
    assertEquals("/proxy/services/main/svc/", path.replicaPath(false));
  }

  @Test
  void theRawPathIsPassedOnAsSent() {
    var path =
        assertInstanceOf(
            ProxyPath.Proxied.class, ProxyPath.parse("/proxy/services/main/svc/a%2Fb/c%20d//e"));
    assertEquals("/a%2Fb/c%20d//e", path.replicaPath(true));
  }

  @Test
  void namesArePercentDecoded() {
    var path =
        assertInstanceOf(ProxyPath.Proxied.class, ProxyPath.parse("/proxy/services/ma%69n/s+v/"));
    assertEquals("main", path.projectName());
    assertEquals("s+v", path.runName());
  }

  @Test
  void theRunWithoutTrailingSlashIsTheServiceRootRedirect() {
    var root =
        assertInstanceOf(ProxyPath.ServiceRoot.class, ProxyPath.parse("/proxy/services/main/svc"));
    assertEquals("main", root.projectName());
    assertEquals("svc", root.runName());
  }

  @Test
  void pathsWithoutProjectAndRunMatchNoRoute() {
    for (String raw :
        new String[] {
          "/proxy/services",
          "/proxy/services/",
          "/proxy/services/main",
          "/proxy/services/main/",
          "/proxy/services//svc/",
          "/proxy/services/main//x",
          "/proxy/models/main/x"
        }) {
      assertInstanceOf(ProxyPath.NoRoute.class, ProxyPath.parse(raw), raw);
    }
  }
}
