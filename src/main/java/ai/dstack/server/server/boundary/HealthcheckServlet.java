package ai.dstack.server.server.boundary;

import ai.dstack.server.ServerContext;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * {@code GET /healthcheck}: 200 {@code {"status":"running"}} once started. A failed start answers
 * 503 with the reason, so anything watching the server (launcher, load balancer) sees it; the
 * container itself keeps running after a failed start.
 */
@WebServlet(urlPatterns = "/healthcheck", loadOnStartup = 1)
public class HealthcheckServlet extends HttpServlet {
  @Inject private ServerContext server;

  @Override
  protected void doGet(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    var body = Json.createObjectBuilder();
    if (server.started()) {
      body.add("status", "running");
    } else {
      response.setStatus(503);
      body.add("status", server.failure() == null ? "starting" : "failed");
      if (server.failure() != null) {
        body.add("detail", server.failure());
      }
    }
    response.setContentType("application/json");
    response.getWriter().write(body.build().toString());
  }
}
