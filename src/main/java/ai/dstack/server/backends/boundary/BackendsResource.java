package ai.dstack.server.backends.boundary;

import ai.dstack.server.api.NoRequestBody;
import ai.dstack.server.api.Public;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

@Path("backends")
@Produces(MediaType.APPLICATION_JSON)
public class BackendsResource {
  /** No cloud backend is implemented yet; SSH fleets need none (API.md §2.4). */
  @POST
  @Path("list_types")
  @NoRequestBody
  @Public
  public List<String> listTypes() {
    return List.of();
  }
}
