package ai.dstack.server.proxy.control;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Upstream's two routes under {@code /proxy/services}: {@code /{project}/{run}} redirects to the
 * service root {@code /{project}/{run}/}, and {@code /{project}/{run}/{path}} is proxied; anything
 * else is not found. Works on the raw (still percent-encoded) path so the replica gets the path as
 * the client sent it.
 */
public sealed interface ProxyPath {
  String PREFIX = "/proxy/services/";

  /** No route matches. */
  record NoRoute() implements ProxyPath {}

  /** {@code /{project}/{run}} without the trailing slash. */
  record ServiceRoot(String projectName, String runName) implements ProxyPath {}

  /**
   * A request to the service.
   *
   * @param fullPath the whole raw path, for services with {@code strip_prefix: false}
   * @param rest the raw path after {@code /{project}/{run}/}, possibly empty
   */
  record Proxied(String projectName, String runName, String fullPath, String rest)
      implements ProxyPath {
    /** The path the replica gets: without the proxy prefix unless the service keeps it. */
    public String replicaPath(boolean stripPrefix) {
      return stripPrefix ? "/" + rest : fullPath;
    }
  }

  static ProxyPath parse(String rawPath) {
    if (!rawPath.startsWith(PREFIX)) {
      return new NoRoute();
    }
    String tail = rawPath.substring(PREFIX.length());
    int first = tail.indexOf('/');
    if (first <= 0) {
      return new NoRoute();
    }
    String project = decode(tail.substring(0, first));
    int second = tail.indexOf('/', first + 1);
    String run = decode(tail.substring(first + 1, second < 0 ? tail.length() : second));
    if (project.isEmpty() || run.isEmpty() || project.contains("/") || run.contains("/")) {
      return new NoRoute();
    }
    if (second < 0) {
      return new ServiceRoot(project, run);
    }
    return new Proxied(project, run, rawPath, tail.substring(second + 1));
  }

  private static String decode(String segment) {
    try {
      return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return segment; // a stray '%' is kept as sent, as Starlette does
    }
  }
}
