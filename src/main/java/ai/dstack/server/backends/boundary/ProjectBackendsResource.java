package ai.dstack.server.backends.boundary;

import ai.dstack.server.api.ApiException;
import ai.dstack.server.api.CallContext;
import ai.dstack.server.api.NoRequestBody;
import ai.dstack.server.api.Responses;
import ai.dstack.server.api.json.JsonInput;
import ai.dstack.server.backends.control.BackendSchemas;
import ai.dstack.server.backends.control.Backends;
import ai.dstack.server.backends.entity.BackendType;
import ai.dstack.server.config.schema.AnyOfSchema;
import ai.dstack.server.config.schema.PlainTree;
import ai.dstack.server.config.schema.SchemaViolation;
import ai.dstack.server.projects.control.ProjectAccess;
import ai.dstack.server.projects.control.Projects;
import ai.dstack.server.projects.entity.ProjectEntity;
import jakarta.inject.Inject;
import jakarta.json.JsonValue;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;

/** {@code /api/project/{p}/backends/*}: project admins only (API.md §2.4). */
@Path("project/{project}/backends")
@Produces(MediaType.APPLICATION_JSON)
public class ProjectBackendsResource {
  @Inject private CallContext call;
  @Inject private Projects projects;
  @Inject private Backends backends;

  @POST
  @Path("create")
  public Response create(@PathParam("project") String name) {
    ProjectEntity project = admin(name);
    return Responses.json(backends.create(project, configBody()));
  }

  @POST
  @Path("update")
  public Response update(@PathParam("project") String name) {
    ProjectEntity project = admin(name);
    return Responses.json(backends.update(project, configBody()));
  }

  @POST
  @Path("delete")
  public Response delete(@PathParam("project") String name) {
    ProjectEntity project = admin(name);
    JsonInput in = JsonInput.requiredBody(call.body());
    List<BackendType> types = in.enumList("backends_names", BackendType.class);
    in.validate();
    backends.delete(project, types);
    return Responses.jsonNull();
  }

  @POST
  @Path("{backend}/config_info")
  @NoRequestBody
  public Response configInfo(
      @PathParam("project") String name, @PathParam("backend") String backend) {
    ProjectEntity project = admin(name);
    return Responses.json(backends.configInfo(project, backendType(backend)));
  }

  @POST
  @Path("create_yaml")
  public Response createYaml(@PathParam("project") String name) {
    ProjectEntity project = admin(name);
    backends.createYaml(project, configYaml());
    return Responses.jsonNull();
  }

  @POST
  @Path("update_yaml")
  public Response updateYaml(@PathParam("project") String name) {
    ProjectEntity project = admin(name);
    backends.updateYaml(project, configYaml());
    return Responses.jsonNull();
  }

  @POST
  @Path("{backend}/get_yaml")
  @NoRequestBody
  public BackendViews.BackendInfoYaml getYaml(
      @PathParam("project") String name, @PathParam("backend") String backend) {
    ProjectEntity project = admin(name);
    BackendType type = backendType(backend);
    return new BackendViews.BackendInfoYaml(type.value(), backends.getYaml(project, type));
  }

  private ProjectEntity admin(String name) {
    return projects.access(call.user(), name, ProjectAccess.ADMIN);
  }

  private static BackendType backendType(String value) {
    return JsonInput.pathEnum("backend_name", value, BackendType.class);
  }

  private String configYaml() {
    JsonInput in = JsonInput.requiredBody(call.body());
    String yaml = in.string("config_yaml");
    in.validate();
    return yaml;
  }

  /**
   * The body as upstream's plain union reads it; a body no member accepts is a 422 listing, for
   * each member in order, the first problem it found.
   */
  @SuppressWarnings("unchecked")
  private Map<String, Object> configBody() {
    JsonValue body = call.body();
    if (body == null || body.getValueType() == JsonValue.ValueType.NULL) {
      JsonInput.requiredBody(body); // throws FastAPI's "field required" at ["body"]
    }
    try {
      return (Map<String, Object>)
          BackendSchemas.get().apiBody().normalize(PlainTree.fromJson(body));
    } catch (AnyOfSchema.Violation v) {
      throw ApiException.validation(
          v.rejections().stream().map(r -> JsonInput.issue(List.of("body"), r)).toList());
    } catch (SchemaViolation v) {
      throw ApiException.validation(List.of(JsonInput.issue(List.of("body"), v)));
    }
  }
}
