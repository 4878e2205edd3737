package ai.dstack.server.api;

import ai.dstack.server.users.entity.UserEntity;
import jakarta.enterprise.context.RequestScoped;
import jakarta.json.JsonValue;

/** What the request filter learnt about the current call: the caller and the parsed body. */
@RequestScoped
public class CallContext {
  private UserEntity user;
  private JsonValue body;

  /** The authenticated caller; resources behind the filter always have one. */
  public UserEntity user() {
    return user;
  }

  /**
   * The caller when a global admin; otherwise upstream's 403 of its {@code Authenticated(admin)}.
   */
  public UserEntity globalAdmin() {
    if (!user.isGlobalAdmin()) {
      throw ApiException.accessDenied();
    }
    return user;
  }

  void setUser(UserEntity user) {
    this.user = user;
  }

  /** The parsed JSON body, or {@code null} when the request had none. */
  public JsonValue body() {
    return body;
  }

  void setBody(JsonValue body) {
    this.body = body;
  }
}
