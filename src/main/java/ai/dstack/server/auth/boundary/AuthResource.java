package ai.dstack.server.auth.boundary;

import ai.dstack.server.api.NoRequestBody;
import ai.dstack.server.api.Public;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

@Path("auth")
@Produces(MediaType.APPLICATION_JSON)
public class AuthResource {
  @JsonbPropertyOrder({"name", "enabled"})
  public record OAuthProviderInfo(String name, boolean enabled) {}

  /** OAuth providers come from plugins upstream; the open-source server has none. */
  @POST
  @Path("list_providers")
  @NoRequestBody
  @Public
  public List<OAuthProviderInfo> listProviders() {
    return List.of();
  }
}
