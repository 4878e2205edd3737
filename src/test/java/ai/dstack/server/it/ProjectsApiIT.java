package ai.dstack.server.it;

import static ai.dstack.server.it.Expect.accessDenied;
import static ai.dstack.server.it.Expect.body;
import static ai.dstack.server.it.Expect.error;
import static ai.dstack.server.it.Expect.forbidden;
import static ai.dstack.server.it.Expect.member;
import static ai.dstack.server.it.Expect.ok;
import static ai.dstack.server.it.Expect.okArray;
import static ai.dstack.server.it.Expect.okNull;
import static ai.dstack.server.it.Expect.projectNotFound;
import static ai.dstack.server.it.Expect.resourceExists;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** /api/projects/* as the fact sheet (notes/upstream-users-projects.md §2) describes upstream. */
@ExtendWith(SharedServer.class)
class ProjectsApiIT {
  private static final String NAME_RULE = "Project name should match regex '^[a-zA-Z0-9-_]{1,50}$'";

  private static JsonObject get(Api api, String token, String project) {
    return ok(api.post("/api/projects/" + project + "/get", token, null));
  }

  private static JsonObject get(Api api, String project) {
    return get(api, api.adminToken(), project);
  }

  /** username → project role, in the order the server lists the members. */
  private static Map<String, String> roles(JsonObject project) {
    Map<String, String> roles = new LinkedHashMap<>();
    for (JsonObject m : project.getJsonArray("members").getValuesAs(JsonObject.class)) {
      roles.put(m.getJsonObject("user").getString("username"), m.getString("project_role"));
    }
    return roles;
  }

  private static List<String> projectNames(JsonArray projects) {
    return projects.stream().map(p -> p.asJsonObject().getString("project_name")).toList();
  }

  private static Api.Reply setMembers(Api api, String token, String project, Object... members) {
    return api.post(
        "/api/projects/" + project + "/set_members", token, body("members", List.of(members)));
  }

  private static Api.Reply addMembers(Api api, String token, String project, Object... members) {
    return api.post(
        "/api/projects/" + project + "/add_members", token, body("members", List.of(members)));
  }

  private static Api.Reply removeMembers(
      Api api, String token, String project, String... usernames) {
    return api.post(
        "/api/projects/" + project + "/remove_members",
        token,
        body("usernames", List.of(usernames)));
  }

  private static Api.Reply delete(Api api, String token, String... projects) {
    return api.post("/api/projects/delete", token, body("projects_names", List.of(projects)));
  }

  private static Api.Reply update(Api api, String token, String project, Object... fields) {
    return api.post("/api/projects/" + project + "/update", token, body(fields));
  }

  /** A project created by the admin with the given extra members (admin stays its admin). */
  private static String projectWith(Api api, Object... members) {
    String name = Api.uniqueName("prj");
    ok(api.createProject(api.adminToken(), name));
    if (members.length > 0) {
      Object[] all = new Object[members.length + 1];
      all[0] = member("admin", "admin");
      System.arraycopy(members, 0, all, 1, members.length);
      ok(setMembers(api, api.adminToken(), name, all));
    }
    return name;
  }

  // --- create ----------------------------------------------------------------------------------

  @Test
  void theCreatorOwnsTheNewProjectAndIsItsOnlyAdmin(Api api) {
    String user = Api.uniqueName("creator");
    String token = api.createUser(user, "user");
    String name = Api.uniqueName("prj");
    JsonObject project = ok(api.createProject(token, name));
    assertEquals(name, project.getString("project_name"));
    assertEquals(user, project.getJsonObject("owner").getString("username"));
    assertEquals(Map.of(user, "admin"), roles(project));
    JsonObject permissions =
        project.getJsonArray("members").getJsonObject(0).getJsonObject("permissions");
    assertTrue(permissions.getBoolean("can_manage_ssh_fleets"));
    assertTrue(permissions.getBoolean("can_manage_secrets"));
    assertEquals(List.of(), project.getJsonArray("backends"));
    assertFalse(project.getBoolean("is_public"));
    assertTrue(project.isNull("templates_repo"));
    assertEquals(project, get(api, token, name));

    String open = Api.uniqueName("prj");
    JsonObject openProject =
        ok(api.post("/api/projects/create", token, body("project_name", open, "is_public", true)));
    assertTrue(openProject.getBoolean("is_public"));
  }

  @Test
  void projectNamesAreUniqueIgnoringCase(Api api) {
    String token = api.createUser(Api.uniqueName("dup"), "user");
    String name = Api.uniqueName("Dup");
    ok(api.createProject(token, name));
    resourceExists(api.createProject(api.adminToken(), name.toLowerCase()));
    resourceExists(api.createProject(token, name.toUpperCase()));
    resourceExists(api.createProject(token, "MAIN"));
  }

  @Test
  void projectNamesMustMatchTheRegex(Api api) {
    error(api.createProject(api.adminToken(), "has space"), NAME_RULE);
    error(api.createProject(api.adminToken(), "dot.ted"), NAME_RULE);
    error(api.createProject(api.adminToken(), "p".repeat(51)), NAME_RULE);
    error(api.post("/api/projects/create", body("project_name", "")), NAME_RULE);
  }

  @Test
  void nonAdminsMayOwnTenProjectsAndTheQuotaIsCheckedBeforeTheName(Api api) {
    String token = api.createUser(Api.uniqueName("quota"), "user");
    String first = null;
    for (int i = 0; i < 10; i++) {
      String name = Api.uniqueName("q" + i);
      ok(api.createProject(token, name));
      first = first == null ? name : first;
    }
    error(api.createProject(token, Api.uniqueName("q10")), "User project quota exceeded");
    error(api.createProject(token, "not valid"), "User project quota exceeded");
    resourceExists(api.createProject(token, first.toUpperCase()));

    okNull(delete(api, token, first));
    ok(api.createProject(token, Api.uniqueName("q10")));
  }

  @Test
  void membershipsInOtherProjectsDoNotCountTowardsTheQuota(Api api) {
    String user = Api.uniqueName("joiner");
    String token = api.createUser(user, "user");
    for (int i = 0; i < 10; i++) {
      projectWith(api, member(user, "admin"));
    }
    ok(api.createProject(token, Api.uniqueName("own")));
  }

  @Test
  void globalAdminsHaveNoProjectQuota(Api api) {
    String token = api.createUser(Api.uniqueName("boss"), "admin");
    for (int i = 0; i < 11; i++) {
      ok(api.createProject(token, Api.uniqueName("b" + i)));
    }
  }

  @Test
  void anUnreachableTemplatesRepoIsRefusedAtCreation(Api api) {
    String repo = "/nonexistent/" + UUID.randomUUID();
    error(
        api.post(
            "/api/projects/create",
            body("project_name", Api.uniqueName("tpl"), "templates_repo", repo)),
        "Cannot access templates repo: " + repo);
  }

  // --- delete ----------------------------------------------------------------------------------

  @Test
  void aDeletedProjectIsGoneAndItsNameFree(Api api) {
    String token = api.createUser(Api.uniqueName("del"), "user");
    String name = Api.uniqueName("prj");
    ok(api.createProject(token, name));
    okNull(delete(api, token, name));
    projectNotFound(api.post("/api/projects/" + name + "/get", token, null));
    assertEquals(
        List.of(),
        projectNames(okArray(api.post("/api/projects/list", body("name_pattern", name)))));
    ok(api.createProject(token, name));
  }

  @Test
  void nonMembersAreDeniedEvenForProjectsThatDoNotExist(Api api) {
    String token = api.createUser(Api.uniqueName("outsider"), "user");
    String name = projectWith(api);
    forbidden(delete(api, token, name), "Access denied");
    forbidden(delete(api, token, Api.uniqueName("ghost")), "Access denied");
    get(api, name);
  }

  @Test
  void globalAdminsDeleteOnlyExistingProjectsAllOrNothing(Api api) {
    String name = projectWith(api);
    String message = "Failed to delete non-existent projects";
    error(delete(api, api.adminToken(), name, Api.uniqueName("ghost")), message);
    error(delete(api, api.adminToken(), name, name), message);
    error(delete(api, api.adminToken(), name.toUpperCase()), message);
    get(api, name);
  }

  @Test
  void projectAdminsAndOwnersMayDeleteButManagersMayNot(Api api) {
    String user = Api.uniqueName("deleter");
    String token = api.createUser(user, "user");
    String managed = projectWith(api, member(user, "manager"));
    forbidden(delete(api, token, managed), "Access denied");

    String administered = projectWith(api, member(user, "admin"));
    forbidden(delete(api, token, administered.toUpperCase()), "Access denied");
    okNull(delete(api, token, administered));

    String owned = Api.uniqueName("prj");
    ok(api.createProject(token, owned));
    ok(setMembers(api, api.adminToken(), owned, member("admin", "admin"), member(user, "user")));
    okNull(delete(api, token, owned));
    get(api, managed);
  }

  @Test
  void oneForbiddenProjectStopsTheWholeDelete(Api api) {
    String token = api.createUser(Api.uniqueName("partial"), "user");
    String own = Api.uniqueName("prj");
    ok(api.createProject(token, own));
    String foreign = projectWith(api);
    forbidden(delete(api, token, own, foreign), "Access denied");
    get(api, token, own);
  }

  // --- get -------------------------------------------------------------------------------------

  @Test
  void getIsForMembersOrAnyoneWhenPublicAndIgnoresCase(Api api) {
    String user = Api.uniqueName("reader");
    String token = api.createUser(user, "user");
    String name = projectWith(api);
    accessDenied(api.post("/api/projects/" + name + "/get", token, null));
    projectNotFound(api.post("/api/projects/" + Api.uniqueName("ghost") + "/get", token, null));

    ok(update(api, api.adminToken(), name, "is_public", true));
    assertEquals(name, get(api, token, name).getString("project_name"));
    assertEquals(name, get(api, token, name.toUpperCase()).getString("project_name"));
  }

  // --- set_members -----------------------------------------------------------------------------

  @Test
  void setMembersKeepsTheRequestOrderAndSkipsUnknownUsers(Api api) {
    String a = Api.uniqueName("sa");
    String b = Api.uniqueName("sb");
    String c = Api.uniqueName("sc");
    api.createUser(a, "user");
    api.createUser(b, "user");
    String email = c + "@example.com";
    ok(api.post("/api/users/create", body("username", c, "global_role", "user", "email", email)));
    String name = projectWith(api);

    JsonObject project =
        ok(
            setMembers(
                api,
                api.adminToken(),
                name,
                member(b, "user"),
                member(Api.uniqueName("ghost"), "admin"),
                member(email, "manager"),
                member("admin", "admin"),
                member(a, "manager")));
    assertEquals(List.of(b, c, "admin", a), List.copyOf(roles(project).keySet()), "request order");
    assertEquals(Map.of(b, "user", c, "manager", "admin", "admin", a, "manager"), roles(project));
    assertEquals(
        email,
        project.getJsonArray("members").getJsonObject(1).getJsonObject("user").getString("email"));
    assertEquals(project, get(api, name));

    JsonObject replaced = ok(setMembers(api, api.adminToken(), name, member("admin", "admin")));
    assertEquals(Map.of("admin", "admin"), roles(replaced));
  }

  @Test
  void setMembersRefusesTheSameUserTwice(Api api) {
    String a = Api.uniqueName("twice");
    api.createUser(a, "user");
    String name = projectWith(api);
    error(
        setMembers(api, api.adminToken(), name, member(a, "user"), member(a, "manager")),
        "Cannot add same user multiple times");
    assertEquals(Map.of("admin", "admin"), roles(get(api, name)));
  }

  @Test
  void managersMaySetMembersButNotChangeTheAdmins(Api api) {
    String manager = Api.uniqueName("mgr");
    String other = Api.uniqueName("oth");
    String token = api.createUser(manager, "user");
    api.createUser(other, "user");
    String name = projectWith(api, member(manager, "manager"));

    JsonObject kept =
        ok(
            setMembers(
                api,
                token,
                name,
                member("admin", "admin"),
                member(manager, "manager"),
                member(other, "user")));
    assertEquals(Map.of("admin", "admin", manager, "manager", other, "user"), roles(kept));

    String changing = "Access denied: changing project admins";
    forbidden(
        setMembers(api, token, name, member("admin", "admin"), member(manager, "admin")), changing);
    forbidden(setMembers(api, token, name, member(manager, "manager")), changing);
    assertEquals(roles(kept), roles(get(api, name)));
  }

  @Test
  void aManagerNamingAnAdminByEmailChangesTheAdmins(Api api) {
    String manager = Api.uniqueName("mgr");
    String admin = Api.uniqueName("padm");
    String email = admin + "@example.com";
    String token = api.createUser(manager, "user");
    ok(
        api.post(
            "/api/users/create", body("username", admin, "global_role", "user", "email", email)));
    String name = Api.uniqueName("prj");
    ok(api.createProject(api.adminToken(), name));
    ok(setMembers(api, api.adminToken(), name, member(admin, "admin"), member(manager, "manager")));
    forbidden(
        setMembers(api, token, name, member(email, "admin"), member(manager, "manager")),
        "Access denied: changing project admins");
  }

  @Test
  void aGlobalAdminHoldingTheManagerRoleMayChangeTheAdmins(Api api) {
    String globalAdmin = Api.uniqueName("ga");
    String token = api.createUser(globalAdmin, "admin");
    String name = projectWith(api, member(globalAdmin, "manager"));
    JsonObject project = ok(setMembers(api, token, name, member(globalAdmin, "admin")));
    assertEquals(Map.of(globalAdmin, "admin"), roles(project));
  }

  @Test
  void usersAndNonMembersCannotSetMembers(Api api) {
    String user = Api.uniqueName("usr");
    String token = api.createUser(user, "user");
    String outsiderToken = api.createUser(Api.uniqueName("out"), "user");
    String name = projectWith(api, member(user, "user"));
    accessDenied(setMembers(api, token, name, member("admin", "admin")));
    accessDenied(setMembers(api, outsiderToken, name, member("admin", "admin")));
    // the role check comes before body validation
    accessDenied(api.post("/api/projects/" + name + "/set_members", outsiderToken, "{}"));
    projectNotFound(setMembers(api, token, Api.uniqueName("ghost"), member("admin", "admin")));
  }

  // --- add_members -----------------------------------------------------------------------------

  @Test
  void anyoneMayJoinAPublicProjectAsAUserOnly(Api api) {
    String joiner = Api.uniqueName("join");
    String token = api.createUser(joiner, "user");
    String name = projectWith(api);
    ok(update(api, api.adminToken(), name, "is_public", true));

    forbidden(
        addMembers(api, token, name, member(joiner, "admin")),
        "Access denied: can only join public projects as user role");
    forbidden(
        addMembers(api, token, name, member(joiner, "manager")),
        "Access denied: can only join public projects as user role");
    JsonObject joined = ok(addMembers(api, token, name, member(joiner, "user")));
    assertEquals("user", roles(joined).get(joiner));

    forbidden(
        addMembers(api, token, name, member(joiner, "user")),
        "Access denied: insufficient permissions to add members");
  }

  @Test
  void aGlobalAdminJoiningAPublicProjectIsAlsoLimitedToTheUserRole(Api api) {
    String globalAdmin = Api.uniqueName("ga");
    String token = api.createUser(globalAdmin, "admin");
    String name = projectWith(api);
    ok(update(api, api.adminToken(), name, "is_public", true));
    forbidden(
        addMembers(api, token, name, member(globalAdmin, "admin")),
        "Access denied: can only join public projects as user role");
    assertEquals(
        "user",
        roles(ok(addMembers(api, token, name, member(globalAdmin, "user")))).get(globalAdmin));
  }

  @Test
  void nonMembersCannotAddToPrivateProjectsNorAddOthersToPublicOnes(Api api) {
    String outsider = Api.uniqueName("out");
    String other = Api.uniqueName("oth");
    String token = api.createUser(outsider, "user");
    api.createUser(other, "user");
    String name = projectWith(api);
    accessDenied(addMembers(api, token, name, member(outsider, "user")));

    ok(update(api, api.adminToken(), name, "is_public", true));
    forbidden(
        addMembers(api, token, name, member(other, "user")),
        "Access denied: insufficient permissions to add members");
    forbidden(
        addMembers(api, token, name, member(outsider, "user"), member(other, "user")),
        "Access denied: insufficient permissions to add members");
    assertEquals(Map.of("admin", "admin"), roles(get(api, name)));
  }

  @Test
  void managersAddUsersButOnlyProjectOrGlobalAdminsAddAdmins(Api api) {
    String manager = Api.uniqueName("mgr");
    String projectAdmin = Api.uniqueName("padm");
    String x = Api.uniqueName("x");
    String y = Api.uniqueName("y");
    String managerToken = api.createUser(manager, "user");
    String adminToken = api.createUser(projectAdmin, "user");
    api.createUser(x, "user");
    api.createUser(y, "user");
    String name = projectWith(api, member(manager, "manager"), member(projectAdmin, "admin"));

    forbidden(
        addMembers(api, managerToken, name, member(x, "admin")),
        "Access denied: only global admins can add project admins");
    assertEquals("user", roles(ok(addMembers(api, managerToken, name, member(x, "user")))).get(x));
    assertEquals("admin", roles(ok(addMembers(api, adminToken, name, member(y, "admin")))).get(y));
  }

  @Test
  void addMembersUpdatesTheRoleOfExistingMembers(Api api) {
    String x = Api.uniqueName("x");
    api.createUser(x, "user");
    String name = projectWith(api, member(x, "user"));
    JsonObject project = ok(addMembers(api, api.adminToken(), name, member(x, "manager")));
    assertEquals(Map.of("admin", "admin", x, "manager"), roles(project));
  }

  @Test
  void addMembersResolvesEmailsAndRollsBackOnAnUnknownUser(Api api) {
    String x = Api.uniqueName("x");
    String y = Api.uniqueName("y");
    api.createUser(x, "user");
    ok(
        api.post(
            "/api/users/create",
            body("username", y, "global_role", "user", "email", y + "@example.com")));
    String name = projectWith(api);
    String ghost = Api.uniqueName("ghost");
    error(
        addMembers(api, api.adminToken(), name, member(x, "user"), member(ghost, "user")),
        "User not found: " + ghost);
    assertEquals(Map.of("admin", "admin"), roles(get(api, name)), "nothing was added");
    error(
        addMembers(api, api.adminToken(), name, member(x, "user"), member(x, "admin")),
        "Cannot add same user multiple times");

    JsonObject added =
        ok(addMembers(api, api.adminToken(), name, member(y + "@example.com", "manager")));
    assertEquals("manager", roles(added).get(y));
  }

  // --- remove_members --------------------------------------------------------------------------

  @Test
  void aMemberMayLeaveButTheLastAdminMayNot(Api api) {
    String user = Api.uniqueName("leaver");
    String token = api.createUser(user, "user");
    String name = projectWith(api, member(user, "user"));
    JsonObject left = ok(removeMembers(api, token, name, user));
    assertEquals(Map.of("admin", "admin"), roles(left));
    accessDenied(api.post("/api/projects/" + name + "/get", token, null));

    String own = Api.uniqueName("prj");
    ok(api.createProject(token, own));
    error(removeMembers(api, token, own, user), "Cannot leave project: you are the last admin");
    error(
        removeMembers(api, api.adminToken(), name, "admin"),
        "Cannot leave project: you are the last admin");
  }

  @Test
  void oneOfTwoAdminsMayLeave(Api api) {
    String user = Api.uniqueName("coadm");
    String token = api.createUser(user, "user");
    String name = projectWith(api, member(user, "admin"));
    assertEquals(Map.of("admin", "admin"), roles(ok(removeMembers(api, token, name, user))));
  }

  @Test
  void onlyManagersRemoveOthersAndOnlyGlobalAdminsRemoveAdmins(Api api) {
    String manager = Api.uniqueName("mgr");
    String user = Api.uniqueName("usr");
    String projectAdmin = Api.uniqueName("padm");
    String managerToken = api.createUser(manager, "user");
    String userToken = api.createUser(user, "user");
    api.createUser(projectAdmin, "user");
    String name =
        projectWith(
            api, member(manager, "manager"), member(user, "user"), member(projectAdmin, "admin"));

    forbidden(
        removeMembers(api, userToken, name, manager),
        "Access denied: insufficient permissions to remove members");
    forbidden(
        removeMembers(api, managerToken, name, projectAdmin),
        "Access denied: only global admins can remove project admins (user: " + projectAdmin + ")");
    assertFalse(roles(ok(removeMembers(api, managerToken, name, user))).containsKey(user));
    assertFalse(
        roles(ok(removeMembers(api, api.adminToken(), name, projectAdmin)))
            .containsKey(projectAdmin));
  }

  @Test
  void theLastAdminsCannotBeRemovedByOthers(Api api) {
    String owner = Api.uniqueName("own");
    String token = api.createUser(owner, "user");
    String name = Api.uniqueName("prj");
    ok(api.createProject(token, name));
    error(removeMembers(api, api.adminToken(), name, owner), "Cannot remove all project admins");
    assertEquals(Map.of(owner, "admin"), roles(get(api, name)));
  }

  @Test
  void removeMembersNamesUnknownUsersAndNonMembers(Api api) {
    String outsider = Api.uniqueName("out");
    String outsiderToken = api.createUser(outsider, "user");
    String name = projectWith(api);
    String ghost = Api.uniqueName("ghost");
    error(removeMembers(api, api.adminToken(), name, ghost), "User not found: " + ghost);
    error(
        removeMembers(api, api.adminToken(), name, outsider),
        "User is not a member of this project: " + outsider);
    accessDenied(removeMembers(api, outsiderToken, name, outsider));
  }

  // --- update ----------------------------------------------------------------------------------

  @Test
  void projectAdminsMakeProjectsPublicAndPrivate(Api api) {
    String user = Api.uniqueName("padm");
    String token = api.createUser(user, "user");
    String name = projectWith(api, member(user, "admin"));
    assertTrue(ok(update(api, token, name, "is_public", true)).getBoolean("is_public"));
    assertTrue(ok(update(api, token, name)).getBoolean("is_public"), "null leaves it");
    assertFalse(ok(update(api, token, name, "is_public", false)).getBoolean("is_public"));
  }

  @Test
  void managersUsersAndMissingProjectsCannotBeUpdated(Api api) {
    String manager = Api.uniqueName("mgr");
    String user = Api.uniqueName("usr");
    String managerToken = api.createUser(manager, "user");
    String userToken = api.createUser(user, "user");
    String name = projectWith(api, member(manager, "manager"), member(user, "user"));
    accessDenied(update(api, managerToken, name, "is_public", true));
    accessDenied(update(api, userToken, name, "is_public", true));
    projectNotFound(update(api, api.adminToken(), Api.uniqueName("ghost"), "is_public", true));
    assertFalse(get(api, name).getBoolean("is_public"));
  }

  @Test
  void templatesRepoIsTrimmedKeptOnBlankAndClearedOnlyByReset(Api api) throws Exception {
    Path repo = gitRepo();
    String url = repo.toString();
    String name = Api.uniqueName("tpl");
    JsonObject created =
        ok(
            api.post(
                "/api/projects/create",
                body("project_name", name, "templates_repo", "  " + url + "  ")));
    assertEquals(url, created.getString("templates_repo"));

    ok(update(api, api.adminToken(), name, "reset_templates_repo", true));
    assertTrue(get(api, name).isNull("templates_repo"));

    assertEquals(
        url,
        ok(update(api, api.adminToken(), name, "templates_repo", " " + url + " "))
            .getString("templates_repo"));
    assertEquals(
        url,
        ok(update(api, api.adminToken(), name, "templates_repo", "   "))
            .getString("templates_repo"));
    assertEquals(
        url,
        ok(update(api, api.adminToken(), name, "templates_repo", null))
            .getString("templates_repo"));
    String unreachable = url + "-missing";
    error(
        update(api, api.adminToken(), name, "templates_repo", unreachable),
        "Cannot access templates repo: " + unreachable);
    assertTrue(
        ok(update(
                api,
                api.adminToken(),
                name,
                "templates_repo",
                unreachable,
                "reset_templates_repo",
                true))
            .isNull("templates_repo"),
        "reset wins over a new value");
  }

  /** A local git repository with one commit: {@code git ls-remote} reaches it without network. */
  private static Path gitRepo() throws IOException, InterruptedException {
    Path dir =
        Files.createTempDirectory(
            Files.createDirectories(Path.of(System.getProperty("it.workDir", "target/it"))),
            "templates-");
    git(dir, "init", "-q");
    git(
        dir,
        "-c",
        "user.name=it",
        "-c",
        "user.email=it@example.com",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "templates");
    return dir.toAbsolutePath();
  }

  private static void git(Path dir, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("git"));
    command.addAll(List.of(args));
    Process process =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, process.exitValue(), () -> "git " + List.of(args) + ": " + output);
  }

  // --- list ------------------------------------------------------------------------------------

  @Test
  void adminsPageThroughProjectsByCreationTime(Api api) {
    String tag = "pl" + UUID.randomUUID().toString().substring(0, 8);
    String p1 = tag + "_1";
    String p2 = tag + "_2";
    String p3 = tag + "_3";
    for (String name : List.of(p1, p2, p3, tag + "x4")) {
      ok(api.createProject(api.adminToken(), name));
    }
    String pattern = tag + "_";
    JsonArray all = list(api, api.adminToken(), "name_pattern", pattern);
    assertEquals(List.of(p3, p2, p1), projectNames(all), "newest first; '_' is not a wildcard");
    for (JsonObject project : all.getValuesAs(JsonObject.class)) {
      assertEquals(List.of(), project.getJsonArray("members"));
      assertEquals(List.of(), project.getJsonArray("backends"));
    }
    assertEquals(4, list(api, api.adminToken(), "name_pattern", tag.toUpperCase()).size());
    assertEquals(List.of(), list(api, api.adminToken(), "name_pattern", pattern, "limit", 0));

    JsonArray first = list(api, api.adminToken(), "name_pattern", pattern, "limit", 1);
    assertEquals(List.of(p3), projectNames(first));
    JsonObject cursor = first.getJsonObject(0);
    assertEquals(
        List.of(p2, p1),
        projectNames(
            list(
                api,
                api.adminToken(),
                "name_pattern",
                pattern,
                "prev_created_at",
                cursor.getString("created_at"),
                "prev_id",
                cursor.getString("project_id"))));
    assertEquals(
        List.of(p1, p2, p3),
        projectNames(list(api, api.adminToken(), "name_pattern", pattern, "ascending", true)));
    JsonObject oldest = all.getJsonObject(2);
    assertEquals(
        List.of(p2),
        projectNames(
            list(
                api,
                api.adminToken(),
                "name_pattern",
                pattern,
                "ascending",
                true,
                "limit",
                1,
                "prev_created_at",
                oldest.getString("created_at"),
                "prev_id",
                oldest.getString("project_id"))));

    JsonObject counted =
        ok(
            api.post(
                "/api/projects/list",
                body("name_pattern", pattern, "return_total_count", true, "limit", 1)));
    assertEquals(3, counted.getInt("total_count"));
    assertEquals(List.of(p3), projectNames(counted.getJsonArray("projects")));
  }

  @Test
  void nonAdminsListTheirProjectsAndPublicOnesUnlessAskedForJoinedOnly(Api api) {
    String user = Api.uniqueName("lister");
    String token = api.createUser(user, "user");
    String tag = "nl" + UUID.randomUUID().toString().substring(0, 8);
    String joined = tag + "-joined";
    String open = tag + "-public";
    String closed = tag + "-private";
    ok(api.createProject(api.adminToken(), joined));
    ok(addMembers(api, api.adminToken(), joined, member(user, "user")));
    ok(api.post("/api/projects/create", body("project_name", open, "is_public", true)));
    ok(api.createProject(api.adminToken(), closed));

    assertEquals(List.of(open, joined), projectNames(list(api, token, "name_pattern", tag)));
    assertEquals(
        List.of(joined),
        projectNames(list(api, token, "name_pattern", tag, "include_not_joined", false)));
    assertEquals(
        3,
        list(api, api.adminToken(), "name_pattern", tag, "include_not_joined", false).size(),
        "global admins see everything");
    JsonObject counted =
        ok(
            api.post(
                "/api/projects/list",
                token,
                body("name_pattern", tag, "return_total_count", true)));
    assertEquals(2, counted.getInt("total_count"));
  }

  @Test
  void listOnlyNoFleetsHasMemberProjectsOldestFirstEvenForGlobalAdmins(Api api) {
    String user = Api.uniqueName("nofleet");
    String token = api.createUser(user, "user");
    String first = Api.uniqueName("nf1");
    String second = Api.uniqueName("nf2");
    ok(api.createProject(token, first));
    ok(api.createProject(token, second));
    String open = Api.uniqueName("nfpub");
    ok(api.post("/api/projects/create", body("project_name", open, "is_public", true)));

    JsonArray mine = okArray(api.post("/api/projects/list_only_no_fleets", token, null));
    assertEquals(List.of(first, second), projectNames(mine));
    List<String> adminsProjects =
        projectNames(okArray(api.post("/api/projects/list_only_no_fleets", null)));
    assertFalse(adminsProjects.contains(first), "the global admin is no member of it");
    assertTrue(adminsProjects.contains(open));
  }

  private static JsonArray list(Api api, String token, Object... fields) {
    return okArray(api.post("/api/projects/list", token, body(fields)));
  }
}
