package ai.dstack.server.users.entity;

import java.util.Locale;

/** Stored as the member name (upstream's convention), sent as the lowercase value. */
public enum GlobalRole {
  ADMIN,
  USER;

  public String value() {
    return name().toLowerCase(Locale.ROOT);
  }
}
