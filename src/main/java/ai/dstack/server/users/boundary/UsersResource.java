package ai.dstack.server.users.boundary;

import ai.dstack.server.api.CallContext;
import ai.dstack.server.api.NoRequestBody;
import ai.dstack.server.api.Paging;
import ai.dstack.server.api.Responses;
import ai.dstack.server.api.json.JsonInput;
import ai.dstack.server.db.Keyset;
import ai.dstack.server.users.control.Users;
import ai.dstack.server.users.entity.GlobalRole;
import ai.dstack.server.users.entity.UserEntity;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.UUID;

@Path("users")
@Produces(MediaType.APPLICATION_JSON)
public class UsersResource {
  @Inject private CallContext call;
  @Inject private Users users;

  @POST
  @Path("list")
  public Object list() {
    JsonInput in = JsonInput.optionalBody(call.body());
    boolean totalCount = in.bool("return_total_count", false);
    String namePattern = in.optPattern("name_pattern", Paging.NAME_PATTERN);
    Keyset page = Paging.keyset(in, 2000);
    in.validate();
    Keyset.Page<UserEntity> listing = users.list(call.user(), namePattern, totalCount, page);
    List<UserViews.User> views =
        listing.items().stream().map(u -> UserViews.user(u, users.canCreateProjects(u))).toList();
    return totalCount ? new UserViews.UsersInfoList(listing.totalCount(), views) : views;
  }

  @POST
  @Path("get_my_user")
  @NoRequestBody
  public UserViews.UserWithCreds getMyUser() {
    return withCreds(users.withSshKey(call.user()));
  }

  @POST
  @Path("get_user")
  public UserViews.UserWithCreds getUser() {
    JsonInput in = JsonInput.requiredBody(call.body());
    String username = in.string("username");
    in.validate();
    return withCreds(users.getWithCreds(call.user(), username));
  }

  @POST
  @Path("create")
  public UserViews.User create() {
    call.globalAdmin();
    UserRequest request = UserRequest.read(call);
    UserEntity user =
        users.create(call.user(), request.username, request.role, request.email, request.active);
    return UserViews.user(user, users.canCreateProjects(user));
  }

  @POST
  @Path("update")
  public UserViews.User update() {
    call.globalAdmin();
    UserRequest request = UserRequest.read(call);
    UserEntity user =
        users.update(call.user(), request.username, request.role, request.email, request.active);
    return UserViews.user(user, users.canCreateProjects(user));
  }

  @POST
  @Path("refresh_ssh_key")
  public UserViews.UserWithCreds refreshSshKey() {
    return withCreds(users.refreshSshKey(call.user(), username()));
  }

  @POST
  @Path("refresh_token")
  public UserViews.UserWithCreds refreshToken() {
    return withCreds(users.refreshToken(call.user(), username()));
  }

  @POST
  @Path("delete")
  public Response delete() {
    call.globalAdmin();
    JsonInput in = JsonInput.requiredBody(call.body());
    List<String> names = in.stringList("users");
    in.validate();
    users.delete(call.user(), names);
    return Responses.jsonNull();
  }

  @POST
  @Path("public_keys/list")
  @NoRequestBody
  public List<UserViews.PublicKeyInfo> listPublicKeys() {
    return users.listPublicKeys(call.user()).stream().map(UserViews::publicKey).toList();
  }

  @POST
  @Path("public_keys/add")
  public UserViews.PublicKeyInfo addPublicKey() {
    JsonInput in = JsonInput.requiredBody(call.body());
    String key = in.string("key");
    String name = in.optString("name", 100);
    in.validate();
    return UserViews.publicKey(users.addPublicKey(call.user(), key, name));
  }

  @POST
  @Path("public_keys/delete")
  public Response deletePublicKeys() {
    JsonInput in = JsonInput.requiredBody(call.body());
    List<UUID> ids = in.uuidList("ids");
    in.validate();
    users.deletePublicKeys(call.user(), ids);
    return Responses.jsonNull();
  }

  private String username() {
    JsonInput in = JsonInput.requiredBody(call.body());
    String username = in.string("username");
    in.validate();
    return username;
  }

  private UserViews.UserWithCreds withCreds(UserEntity user) {
    return UserViews.withCreds(user, users.canCreateProjects(user));
  }

  private record UserRequest(String username, GlobalRole role, String email, boolean active) {
    static UserRequest read(CallContext call) {
      JsonInput in = JsonInput.requiredBody(call.body());
      String username = in.string("username");
      GlobalRole role = in.enumValue("global_role", GlobalRole.class);
      // the columns' sizes, as upstream's; longer values are refused instead of failing in the
      // database
      String email = in.optString("email", 200);
      boolean active = in.bool("active", true);
      in.validate();
      return new UserRequest(username, role, email, active);
    }
  }
}
