package ai.dstack.server.server.boundary;

import ai.dstack.server.ServerContext;
import ai.dstack.server.api.NoRequestBody;
import ai.dstack.server.api.Public;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

@Path("server")
@Produces(MediaType.APPLICATION_JSON)
public class ServerResource {
  public record ServerInfo(String serverVersion) {}

  @Inject private ServerContext server;

  @POST
  @Path("get_info")
  @NoRequestBody
  @Public
  public ServerInfo getInfo() {
    return new ServerInfo(server.version());
  }
}
