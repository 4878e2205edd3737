package ai.dstack.server.settings;

/** The {@code default_permissions} switches of config.yml (SERVER.md §2.1), upstream's defaults. */
public record DefaultPermissions(
    boolean allowNonAdminsCreateProjects,
    boolean allowNonAdminsManageSshFleets,
    boolean allowManagersManageSecrets) {
  public static final DefaultPermissions DEFAULTS = new DefaultPermissions(true, true, false);
}
