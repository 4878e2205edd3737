package ai.dstack.server.projects.entity;

import java.util.Locale;

/** Stored as the member name (upstream's convention), sent as the lowercase value. */
public enum ProjectRole {
  ADMIN,
  MANAGER,
  USER;

  public String value() {
    return name().toLowerCase(Locale.ROOT);
  }
}
