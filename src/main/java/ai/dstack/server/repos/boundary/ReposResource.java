package ai.dstack.server.repos.boundary;

import ai.dstack.server.ServerContext;
import ai.dstack.server.api.CallContext;
import ai.dstack.server.api.NoRequestBody;
import ai.dstack.server.api.Responses;
import ai.dstack.server.api.Upload;
import ai.dstack.server.api.json.JsonInput;
import ai.dstack.server.config.schema.PlainTree;
import ai.dstack.server.projects.control.ProjectAccess;
import ai.dstack.server.projects.control.Projects;
import ai.dstack.server.projects.entity.ProjectEntity;
import ai.dstack.server.repos.control.RepoSchemas;
import ai.dstack.server.repos.control.Repos;
import ai.dstack.server.repos.entity.RepoEntity;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.InputStream;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** /api/project/{p}/repos/*: any project member (API.md §2.6). */
@Path("project/{project}/repos")
@Produces(MediaType.APPLICATION_JSON)
public class ReposResource {
  @Inject private CallContext call;
  @Inject private ServerContext server;
  @Inject private Projects projects;
  @Inject private Repos repos;

  @POST
  @Path("list")
  @NoRequestBody
  public Response list(@PathParam("project") String projectName) {
    ProjectEntity project = projects.access(call.user(), projectName, ProjectAccess.MEMBER);
    List<Object> heads = new ArrayList<>();
    for (RepoEntity repo : repos.list(project)) {
      heads.add(head(repo));
    }
    return Responses.json(heads);
  }

  @POST
  @Path("get")
  public Response get(@PathParam("project") String projectName) {
    ProjectEntity project = projects.access(call.user(), projectName, ProjectAccess.MEMBER);
    JsonInput in = JsonInput.requiredBody(call.body());
    String repoId = in.string("repo_id");
    Boolean includeCreds = in.bool("include_creds");
    in.validate();
    Repos.RepoWithCreds found = repos.get(call.user(), project, repoId, includeCreds);
    Map<String, Object> view = head(found.repo());
    view.put("repo_creds", found.creds() == null ? null : credsView(found.creds()));
    return Responses.json(view);
  }

  @POST
  @Path("init")
  @SuppressWarnings("unchecked")
  public Response init(@PathParam("project") String projectName) {
    ProjectEntity project = projects.access(call.user(), projectName, ProjectAccess.MEMBER);
    JsonInput in = JsonInput.requiredBody(call.body());
    String repoId = in.string("repo_id");
    Object info = in.model("repo_info", RepoSchemas.INFO);
    Object creds = in.optModel("repo_creds", RepoSchemas.CREDS);
    in.validate();
    repos.init(
        call.user(), project, repoId, (Map<String, Object>) info, (Map<String, Object>) creds);
    return Responses.jsonNull();
  }

  @POST
  @Path("delete")
  public Response delete(@PathParam("project") String projectName) {
    ProjectEntity project = projects.access(call.user(), projectName, ProjectAccess.MEMBER);
    JsonInput in = JsonInput.requiredBody(call.body());
    List<String> repoIds = in.stringList("repos_ids");
    in.validate();
    repos.delete(project, repoIds);
    return Responses.jsonNull();
  }

  /** The CLI's multipart upload; the body is read here, never as JSON by the request filter. */
  @POST
  @Path("upload_code")
  @NoRequestBody
  public Response uploadCode(
      @PathParam("project") String projectName,
      @QueryParam("repo_id") String repoId,
      @Context HttpHeaders headers,
      InputStream body) {
    ProjectEntity project = projects.access(call.user(), projectName, ProjectAccess.MEMBER);
    List<JsonObject> issues = new ArrayList<>();
    if (repoId == null) {
      issues.add(
          JsonInput.issue(List.of("query", "repo_id"), "field required", "value_error.missing"));
    }
    Upload.File file =
        Upload.read(
            headers, body, server.settings().runs().codeUploadLimit(), Upload.Kind.CODE, issues);
    repos.uploadCode(project, repoId, file.filename(), file.content());
    return Responses.jsonNull();
  }

  /** RepoHead: the client's repo id and the RepoInfo it sent. */
  private static Map<String, Object> head(RepoEntity repo) {
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("repo_id", repo.getName());
    try (JsonReader reader = Json.createReader(new StringReader(repo.getInfo()))) {
      view.put("repo_info", PlainTree.fromJson(reader.readValue()));
    }
    return view;
  }

  /** RemoteRepoCreds with every field, as upstream's response model writes it. */
  private static Map<String, Object> credsView(Map<String, Object> creds) {
    Map<String, Object> view = new LinkedHashMap<>();
    for (String field : RepoSchemas.CREDS.fieldNames()) {
      view.put(field, creds.get(field));
    }
    return view;
  }
}
