package ai.dstack.server.logs.control;

import ai.dstack.server.projects.control.Projects;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The logs of one job submission: where its {@code job} and {@code runner} streams live in every
 * storage (file paths, stream names).
 *
 * @param jobSubmissionId {@code jobs.id}, lowercase dashed UUID text
 */
public record JobLogs(String projectName, String runName, String jobSubmissionId) {
  /** Upstream's run (and every dstack resource) name rule. */
  private static final Pattern RUN_NAME = Pattern.compile("^[a-z][a-z0-9-]{1,40}$");

  /**
   * Whether every part is a name upstream could have created, so none can leave its directory or
   * stream prefix (no {@code ..}, {@code /}); anything else simply has no logs.
   */
  public boolean wellFormed() {
    return projectName != null
        && Projects.PROJECT_NAME.matcher(projectName).matches()
        && runName != null
        && RUN_NAME.matcher(runName).matches()
        && canonicalUuid(jobSubmissionId);
  }

  private static boolean canonicalUuid(String text) {
    if (text == null || text.length() != 36) {
      return false;
    }
    try {
      return UUID.fromString(text).toString().equals(text);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
