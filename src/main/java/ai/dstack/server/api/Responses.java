package ai.dstack.server.api;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

public final class Responses {
  private Responses() {}

  /** Endpoints without a response model answer 200 with the JSON body {@code null}. */
  public static Response jsonNull() {
    return Response.ok("null", MediaType.APPLICATION_JSON_TYPE).build();
  }

  /** A plain tree (maps, lists, scalars, raw fragments; see JsonText) as the body of a 200. */
  public static Response json(Object tree) {
    return Response.ok(JsonText.write(tree), MediaType.APPLICATION_JSON_TYPE).build();
  }
}
