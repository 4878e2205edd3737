package ai.dstack.server.projects.control;

import ai.dstack.server.api.ApiException;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/** A project's UI templates repository must be reachable when it is set (as upstream checks). */
@ApplicationScoped
public class TemplatesRepos {
  /** The trimmed URL, {@code null} for a blank one, or 400 when {@code git} cannot reach it. */
  public String validated(String url) {
    if (url == null || url.isBlank()) {
      return null;
    }
    String trimmed = url.trim();
    try {
      Process git =
          new ProcessBuilder("git", "ls-remote", "--exit-code", trimmed, "HEAD")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      git.getOutputStream().close();
      if (git.waitFor(30, TimeUnit.SECONDS) && git.exitValue() == 0) {
        return trimmed;
      }
      git.destroyForcibly();
    } catch (IOException e) {
      // no git on this host: the repository cannot be checked, so it is refused below
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    throw ApiException.error("Cannot access templates repo: " + trimmed);
  }
}
