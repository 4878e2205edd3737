package ai.dstack.server.backends.boundary;

import ai.dstack.server.api.NoRequestBody;
import ai.dstack.server.api.Public;
import ai.dstack.server.backends.control.BackendSchemas;
import ai.dstack.server.backends.entity.BackendType;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

@Path("backends")
@Produces(MediaType.APPLICATION_JSON)
public class BackendsResource {
  /**
   * The types a project can be given, as upstream with all its optional dependencies lists them:
   * create and update accept exactly these.
   */
  @POST
  @Path("list_types")
  @NoRequestBody
  @Public
  public List<String> listTypes() {
    return BackendSchemas.CONFIGURABLE.stream().map(BackendType::value).toList();
  }
}
