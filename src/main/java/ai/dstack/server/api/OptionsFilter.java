package ai.dstack.server.api;

import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.ext.Provider;
import java.util.Set;

/**
 * No API route takes OPTIONS upstream, so Starlette answers 405 (before any auth or version check).
 * JAX-RS answers OPTIONS by itself with the allowed methods; this turns that answer into
 * upstream's.
 */
@Provider
public class OptionsFilter implements ContainerResponseFilter {
  @Override
  public void filter(ContainerRequestContext request, ContainerResponseContext response) {
    if (!HttpMethod.OPTIONS.equals(request.getMethod()) || response.getStatus() >= 300) {
      return;
    }
    Set<String> allowed = response.getAllowedMethods();
    response.setStatus(405);
    response.getHeaders().putSingle(HttpHeaders.ALLOW, ApiException.allowHeader(allowed));
    response.setEntity(
        ApiException.methodNotAllowed().body().toString(), null, MediaType.APPLICATION_JSON_TYPE);
  }
}
