package ai.dstack.server.ui;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.regex.Pattern;

/**
 * The UI routes on the client: a GET for a page path such as {@code /runs} or {@code
 * /projects/main} is answered with {@code index.html}, as upstream's server does, while the API,
 * the service proxy, the health check, metrics and the UI's own files pass through untouched.
 */
@WebFilter(urlPatterns = "/*")
public class SinglePageAppFilter extends HttpFilter {
  private static final Pattern SERVER_PATHS =
      Pattern.compile("^/(api|proxy|healthcheck|metrics)(/.*)?$");

  /** Asset folders: a missing file there is a 404, never the page. */
  private static final Pattern ASSET_PATHS = Pattern.compile("^/(ui|webjars)/.*$");

  @Override
  protected void doFilter(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    String path = request.getRequestURI().substring(request.getContextPath().length());
    boolean read = "GET".equals(request.getMethod()) || "HEAD".equals(request.getMethod());
    if (!read || SERVER_PATHS.matcher(path).matches()) {
      chain.doFilter(request, response);
      return;
    }
    // the UI changes with the server: browsers revalidate instead of keeping an old copy
    response.setHeader("Cache-Control", "no-cache");
    if (path.equals("/") || ASSET_PATHS.matcher(path).matches() || isFile(path)) {
      chain.doFilter(request, response);
    } else {
      request.getRequestDispatcher("/index.html").forward(request, response);
    }
  }

  private boolean isFile(String path) throws IOException {
    return !path.endsWith("/") && getServletContext().getResource(path) != null;
  }
}
