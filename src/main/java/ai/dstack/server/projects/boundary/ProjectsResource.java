package ai.dstack.server.projects.boundary;

import ai.dstack.server.api.CallContext;
import ai.dstack.server.api.NoRequestBody;
import ai.dstack.server.api.Paging;
import ai.dstack.server.api.Responses;
import ai.dstack.server.api.json.JsonInput;
import ai.dstack.server.backends.control.Backends;
import ai.dstack.server.config.schema.PlainTree;
import ai.dstack.server.db.Keyset;
import ai.dstack.server.projects.control.ProjectAccess;
import ai.dstack.server.projects.control.Projects;
import ai.dstack.server.projects.entity.ProjectEntity;
import ai.dstack.server.projects.entity.ProjectRole;
import ai.dstack.server.users.boundary.UserViews;
import ai.dstack.server.users.control.Users;
import ai.dstack.server.users.entity.UserEntity;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Objects;

@Path("projects")
@Produces(MediaType.APPLICATION_JSON)
public class ProjectsResource {
  @Inject private CallContext call;
  @Inject private Projects projects;
  @Inject private Users users;
  @Inject private Backends backends;

  @POST
  @Path("list")
  public Object list() {
    JsonInput in = JsonInput.optionalBody(call.body());
    boolean includeNotJoined = in.bool("include_not_joined", true);
    boolean totalCount = in.bool("return_total_count", false);
    String namePattern = in.optPattern("name_pattern", Paging.NAME_PATTERN);
    Keyset page = Paging.keyset(in, 2000);
    in.validate();
    Keyset.Page<ProjectEntity> listing =
        projects.list(call.user(), includeNotJoined, namePattern, totalCount, page);
    List<ProjectViews.Project> views = listing.items().stream().map(this::summary).toList();
    return totalCount ? new ProjectViews.ProjectsInfoList(listing.totalCount(), views) : views;
  }

  @POST
  @Path("list_only_no_fleets")
  @NoRequestBody
  public List<ProjectViews.Project> listOnlyNoFleets() {
    return projects.listWithoutFleets(call.user()).stream().map(this::summary).toList();
  }

  @POST
  @Path("create")
  public ProjectViews.Project create() {
    JsonInput in = JsonInput.requiredBody(call.body());
    String name = in.string("project_name");
    boolean isPublic = in.bool("is_public", false);
    String templatesRepo = in.optString("templates_repo");
    in.validate();
    return view(projects.create(call.user(), name, isPublic, templatesRepo));
  }

  @POST
  @Path("delete")
  public Response delete() {
    JsonInput in = JsonInput.requiredBody(call.body());
    List<String> names = in.stringList("projects_names");
    in.validate();
    projects.delete(call.user(), names);
    return Responses.jsonNull();
  }

  @POST
  @Path("{project}/get")
  @NoRequestBody
  public ProjectViews.Project get(@PathParam("project") String name) {
    ProjectEntity project = projects.access(call.user(), name, ProjectAccess.MEMBER_OR_PUBLIC);
    return view(projects.details(project));
  }

  @POST
  @Path("{project}/set_members")
  public ProjectViews.Project setMembers(@PathParam("project") String name) {
    ProjectEntity project = projects.access(call.user(), name, ProjectAccess.MANAGER);
    return view(projects.setMembers(call.user(), project, memberRequests()));
  }

  @POST
  @Path("{project}/add_members")
  public ProjectViews.Project addMembers(@PathParam("project") String name) {
    ProjectEntity project = projects.access(call.user(), name, ProjectAccess.MANAGER_OR_PUBLIC);
    return view(projects.addMembers(call.user(), project, memberRequests()));
  }

  @POST
  @Path("{project}/remove_members")
  public ProjectViews.Project removeMembers(@PathParam("project") String name) {
    ProjectEntity project = projects.access(call.user(), name, ProjectAccess.MEMBER);
    JsonInput in = JsonInput.requiredBody(call.body());
    List<String> usernames = in.stringList("usernames");
    in.validate();
    return view(projects.removeMembers(call.user(), project, usernames));
  }

  @POST
  @Path("{project}/update")
  public ProjectViews.Project update(@PathParam("project") String name) {
    ProjectEntity project = projects.access(call.user(), name, ProjectAccess.ADMIN);
    JsonInput in = JsonInput.requiredBody(call.body());
    Boolean isPublic = in.optBool("is_public");
    String templatesRepo = in.optString("templates_repo");
    boolean reset = in.bool("reset_templates_repo", false);
    in.validate();
    return view(projects.update(call.user(), project, isPublic, templatesRepo, reset));
  }

  private List<Projects.MemberRequest> memberRequests() {
    JsonInput in = JsonInput.requiredBody(call.body());
    List<JsonInput> items = in.objectList("members");
    List<Projects.MemberRequest> requests =
        items == null
            ? List.of()
            : items.stream()
                .filter(Objects::nonNull)
                .map(
                    item ->
                        new Projects.MemberRequest(
                            item.string("username"),
                            item.enumValue("project_role", ProjectRole.class)))
                .toList();
    in.validate();
    return requests;
  }

  /** Lists carry no members and no backends, as upstream's. */
  private ProjectViews.Project summary(ProjectEntity project) {
    return project(project, List.of(), List.of());
  }

  private ProjectViews.Project view(Projects.ProjectDetails details) {
    List<ProjectViews.Member> members =
        details.members().stream()
            .map(
                m ->
                    new ProjectViews.Member(
                        user(m.getUser()),
                        m.getProjectRole().value(),
                        new ProjectViews.MemberPermissions(
                            projects.canManageSshFleets(m.getUser(), m.getProjectRole()),
                            projects.canManageSecrets(m.getUser(), m.getProjectRole()))))
            .toList();
    List<ProjectViews.BackendInfo> backendInfos =
        backends.list(details.project()).stream()
            .map(b -> new ProjectViews.BackendInfo(b.name(), PlainTree.toJson(b.config())))
            .toList();
    return project(details.project(), backendInfos, members);
  }

  private ProjectViews.Project project(
      ProjectEntity project,
      List<ProjectViews.BackendInfo> backendInfos,
      List<ProjectViews.Member> members) {
    return new ProjectViews.Project(
        project.getId(),
        project.getName(),
        user(project.getOwner()),
        project.getCreatedAt(),
        backendInfos,
        members,
        project.isPublic(),
        project.getTemplatesRepo());
  }

  private UserViews.User user(UserEntity user) {
    return UserViews.user(user, users.canCreateProjects(user));
  }
}
