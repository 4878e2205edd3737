package ai.dstack.server.repos.entity;

import java.util.Locale;

/** Upstream's RepoType; stored as the upper-case name, sent lower-case as {@code repo_type}. */
public enum RepoType {
  REMOTE,
  LOCAL,
  VIRTUAL;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static RepoType fromWire(String value) {
    return valueOf(value.toUpperCase(Locale.ROOT));
  }
}
