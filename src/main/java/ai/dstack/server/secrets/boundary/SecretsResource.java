package ai.dstack.server.secrets.boundary;

import ai.dstack.server.api.CallContext;
import ai.dstack.server.api.NoRequestBody;
import ai.dstack.server.api.Responses;
import ai.dstack.server.api.json.JsonInput;
import ai.dstack.server.projects.control.ProjectAccess;
import ai.dstack.server.projects.control.Projects;
import ai.dstack.server.projects.entity.ProjectEntity;
import ai.dstack.server.secrets.control.Secrets;
import ai.dstack.server.secrets.entity.SecretEntity;
import jakarta.inject.Inject;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;

@Path("project/{project}/secrets")
@Produces(MediaType.APPLICATION_JSON)
public class SecretsResource {
  @Inject private CallContext call;
  @Inject private Projects projects;
  @Inject private Secrets secrets;

  /** Upstream's {@code Secret}: the CLI parses it strictly, so nothing else. */
  @JsonbPropertyOrder({"id", "name", "value"})
  public record Secret(String id, String name, String value) {}

  @POST
  @Path("list")
  @NoRequestBody
  public List<Secret> list(@PathParam("project") String name) {
    ProjectEntity project = projects.access(call.user(), name, ProjectAccess.MANAGER);
    return secrets.list(call.user(), project).stream()
        .map(s -> new Secret(s.getId(), s.getName(), null))
        .toList();
  }

  @POST
  @Path("get")
  public Secret get(@PathParam("project") String projectName) {
    ProjectEntity project = projects.access(call.user(), projectName, ProjectAccess.MANAGER);
    JsonInput in = JsonInput.requiredBody(call.body());
    String name = in.string("name");
    in.validate();
    return withValue(secrets.get(call.user(), project, name));
  }

  @POST
  @Path("create_or_update")
  public Secret createOrUpdate(@PathParam("project") String projectName) {
    ProjectEntity project = projects.access(call.user(), projectName, ProjectAccess.MANAGER);
    JsonInput in = JsonInput.requiredBody(call.body());
    String name = in.string("name");
    String value = in.string("value");
    in.validate();
    return withValue(secrets.createOrUpdate(call.user(), project, name, value));
  }

  @POST
  @Path("delete")
  public Response delete(@PathParam("project") String projectName) {
    ProjectEntity project = projects.access(call.user(), projectName, ProjectAccess.MANAGER);
    JsonInput in = JsonInput.requiredBody(call.body());
    List<String> names = in.stringList("secrets_names");
    in.validate();
    secrets.delete(call.user(), project, names);
    return Responses.jsonNull();
  }

  private static Secret withValue(SecretEntity secret) {
    return new Secret(secret.getId(), secret.getName(), secret.getValue().plaintext());
  }
}
