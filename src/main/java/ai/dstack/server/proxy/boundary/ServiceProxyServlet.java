package ai.dstack.server.proxy.boundary;

import ai.dstack.server.ServerContext;
import ai.dstack.server.api.RequestFilter;
import ai.dstack.server.proxy.control.ProxyException;
import ai.dstack.server.proxy.control.ProxyHeaders;
import ai.dstack.server.proxy.control.ProxyHeaders.Header;
import ai.dstack.server.proxy.control.ProxyPath;
import ai.dstack.server.proxy.control.ReplicaExchange;
import ai.dstack.server.proxy.control.RequestBody;
import ai.dstack.server.proxy.control.ServiceProxy;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * {@code /proxy/services/<project>/<run>/<path>}: upstream's in-server service proxy (API.md §2.9).
 * A servlet rather than a JAX-RS resource: JAX-RS lives under {@code /api}, and both bodies are
 * streamed as they are. Errors are upstream's {@code {"detail": "..."}}.
 */
@WebServlet(urlPatterns = "/proxy/services/*")
public class ServiceProxyServlet extends HttpServlet {
  private static final Set<String> PROXIED =
      Set.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS");
  private static final Set<String> REDIRECTED =
      Set.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD");

  @Inject private ServerContext server;
  @Inject private ServiceProxy proxy;

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    try {
      handle(request, response);
    } catch (ProxyException e) {
      if (response.isCommitted()) {
        throw new IOException(e.getMessage(), e); // the answer is cut off
      }
      response.reset(); // drops whatever the replica's answer had set
      error(response, e.status(), e.getMessage());
    } catch (RequestBody.ClientGone e) {
      // the client went away while sending its body: there is no one to answer
    }
  }

  private void handle(HttpServletRequest request, HttpServletResponse response) throws IOException {
    if (!server.started()) {
      throw new ProxyException(503, "The server is starting");
    }
    String method = request.getMethod();
    ProxyPath path =
        ProxyPath.parse(request.getRequestURI().substring(request.getContextPath().length()));
    if (path instanceof ProxyPath.Proxied proxied) {
      if (PROXIED.contains(method)) {
        proxy(request, response, proxied);
      } else {
        methodNotAllowed(response, PROXIED);
      }
    } else if (path instanceof ProxyPath.ServiceRoot) {
      if (REDIRECTED.contains(method)) {
        redirectToRoot(request, response);
      } else {
        methodNotAllowed(response, REDIRECTED);
      }
    } else {
      error(response, 404, "Not Found");
    }
  }

  /** 308 to the same URL with a trailing slash (and the same query), as upstream. */
  private static void redirectToRoot(HttpServletRequest request, HttpServletResponse response) {
    String query = request.getQueryString();
    response.setStatus(308);
    response.setHeader(
        "Location", request.getRequestURL() + "/" + (query == null ? "" : "?" + query));
    response.setContentLength(0);
  }

  private void proxy(
      HttpServletRequest request, HttpServletResponse response, ProxyPath.Proxied path)
      throws IOException {
    if (request.getHeader("Upgrade") != null) {
      throw new ProxyException(400, "Upgrading connections is not supported");
    }
    ServiceProxy.Route route =
        proxy.route(
            path.projectName(),
            path.runName(),
            RequestFilter.bearerCredentials(request.getHeader("Authorization")));
    String query = request.getQueryString();
    String target =
        path.replicaPath(route.service().stripPrefix()) + (query == null ? "" : "?" + query);
    proxy.forward(
        route,
        new ReplicaExchange.Request(
            request.getMethod(), target, ProxyHeaders.request(headers(request)), body(request)),
        (status, headers) -> {
          response.setStatus(status);
          for (Header header : headers) {
            if (header.name().equalsIgnoreCase("Content-Length")) {
              response.setContentLengthLong(Long.parseLong(header.value()));
            } else {
              response.addHeader(header.name(), header.value());
            }
          }
          return response.getOutputStream();
        });
  }

  private static List<Header> headers(HttpServletRequest request) {
    List<Header> headers = new ArrayList<>();
    for (String name : Collections.list(request.getHeaderNames())) {
      for (String value : Collections.list(request.getHeaders(name))) {
        headers.add(new Header(name, value));
      }
    }
    return headers;
  }

  /** The client's body: its Content-Length, or chunked (the container takes the chunks apart). */
  private static RequestBody body(HttpServletRequest request) throws IOException {
    long length = request.getContentLengthLong();
    String transferEncoding = request.getHeader("Transfer-Encoding");
    if (length < 0 && transferEncoding == null) {
      return RequestBody.empty();
    }
    return new RequestBody(request.getInputStream(), length);
  }

  private static void methodNotAllowed(HttpServletResponse response, Set<String> allowed)
      throws IOException {
    response.setHeader("Allow", String.join(", ", allowed.stream().sorted().toList()));
    error(response, 405, "Method Not Allowed");
  }

  private static void error(HttpServletResponse response, int status, String detail)
      throws IOException {
    response.setStatus(status);
    response.setContentType("application/json");
    byte[] body =
        Json.createObjectBuilder()
            .add("detail", detail)
            .build()
            .toString()
            .getBytes(StandardCharsets.UTF_8);
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }
}
