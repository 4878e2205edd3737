package ai.dstack.server.projects.control;

/**
 * Who may call a project-scoped endpoint (API.md §1.2 permission codes). Global admins always pass.
 */
public enum ProjectAccess {
  /** MEM: any member. */
  MEMBER,
  /** MEM|pub: any member, or anyone when the project is public. */
  MEMBER_OR_PUBLIC,
  /** PMGR: admins and managers. */
  MANAGER,
  /** PMGR|pub: admins and managers, or anyone when the project is public. */
  MANAGER_OR_PUBLIC,
  /** PADM: project admins. */
  ADMIN
}
