package ai.dstack.server.api;

import ai.dstack.server.crypto.UndecryptableValueException;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Unknown routes and methods answer as FastAPI does; anything unexpected is a logged 500. */
@Provider
public class ErrorMapper implements ExceptionMapper<Throwable> {
  private static final Logger log = Logger.getLogger(ErrorMapper.class.getName());

  @Override
  public Response toResponse(Throwable e) {
    if (e instanceof ApiException api) {
      return toResponse(api);
    }
    if (e instanceof UndecryptableValueException undecryptable) {
      // a configuration problem the caller can usually fix (refresh the token, re-enter creds)
      return toResponse(ApiException.error(undecryptable.getMessage()));
    }
    if (e instanceof NotFoundException) {
      return toResponse(ApiException.routeNotFound());
    }
    if (e instanceof NotAllowedException notAllowed) {
      return Response.fromResponse(toResponse(ApiException.methodNotAllowed()))
          .header(
              HttpHeaders.ALLOW,
              ApiException.allowHeader(notAllowed.getResponse().getAllowedMethods()))
          .build();
    }
    if (e instanceof WebApplicationException web && web.getResponse().getStatus() < 500) {
      return web.getResponse();
    }
    log.log(Level.SEVERE, "Unexpected error while handling a request", e);
    return Response.serverError().type("text/plain").entity("Internal Server Error").build();
  }

  static Response toResponse(ApiException e) {
    // bad input is logged once, without a stack trace; auth failures only at debug level
    log.log(
        e.status() == 400 || e.status() == 422 ? Level.INFO : Level.FINE,
        () -> "Request rejected with " + e.status() + ": " + e.getMessage());
    Response.ResponseBuilder response =
        Response.status(e.status())
            .type(MediaType.APPLICATION_JSON_TYPE)
            .entity(e.body().toString());
    if (e.status() == 401) {
      response.header("WWW-Authenticate", "Bearer");
    }
    return response.build();
  }
}
