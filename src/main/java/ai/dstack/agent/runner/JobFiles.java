package ai.dstack.agent.runner;

import ai.dstack.agent.io.TarArchive;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.stream.Stream;

/** Puts the job's code in its repo directory: a git clone plus diff, or an uploaded tarball. */
final class JobFiles {
  private JobFiles() {}

  static void setupRepo(JobSpec spec, Path repoDir, Path codeBlob, BiConsumer<String, String> log)
      throws IOException {
    if (Files.isDirectory(repoDir)) {
      try (Stream<Path> entries = Files.list(repoDir)) {
        if (entries.findAny().isPresent()) {
          if ("error".equals(spec.repoExistsAction())) {
            throw new IOException("repo dir is not empty: " + repoDir);
          }
          log.accept("INFO", "Skipping repo checkout: repo dir is not empty: " + repoDir);
          return;
        }
      }
    }
    String type = spec.repoType() == null ? "virtual" : spec.repoType();
    switch (type) {
      case "remote" -> cloneRemote(spec, repoDir, codeBlob, log);
      case "local", "virtual" -> {
        if (Files.exists(codeBlob) && Files.size(codeBlob) > 0) {
          TarArchive.extract(codeBlob, repoDir, name -> name);
        } else {
          Files.createDirectories(repoDir);
        }
      }
      default -> throw new IOException("unknown RepoType: " + type);
    }
  }

  private static void cloneRemote(
      JobSpec spec, Path repoDir, Path codeBlob, BiConsumer<String, String> log)
      throws IOException {
    if (spec.cloneUrl() == null) {
      throw new IOException("the repo has no clone URL");
    }
    Path keyFile = codeBlob.resolveSibling("git_key");
    List<String> clone = new ArrayList<>(List.of("git"));
    Map<String, String> env = new HashMap<>();
    env.put("GIT_TERMINAL_PROMPT", "0");
    if (spec.cloneUrl().startsWith("https://") && spec.repoOauthToken() != null) {
      String basic =
          Base64.getEncoder()
              .encodeToString(
                  ("x-access-token:" + spec.repoOauthToken()).getBytes(StandardCharsets.UTF_8));
      // a header for this command only: the token never lands in the clone's .git/config
      clone.addAll(List.of("-c", "http.extraHeader=Authorization: Basic " + basic));
    }
    if (spec.repoPrivateKey() != null) {
      Files.deleteIfExists(keyFile);
      Files.createFile(
          keyFile,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(keyFile, spec.repoPrivateKey());
      env.put(
          "GIT_SSH_COMMAND",
          "ssh -i '"
              + keyFile
              + "' -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null");
    }
    clone.add("clone");
    if (spec.repoBranch() != null && !spec.repoBranch().isEmpty()) {
      clone.addAll(List.of("--branch", spec.repoBranch(), "--single-branch"));
    }
    clone.addAll(List.of(spec.cloneUrl(), repoDir.toString()));
    try {
      log.accept("INFO", "Cloning " + spec.cloneUrl());
      git("clone", clone, repoDir.getParent(), env);
      if (spec.repoHash() != null && !spec.repoHash().isEmpty()) {
        git("checkout", List.of("git", "checkout", "-q", spec.repoHash()), repoDir, env);
      }
      if (spec.repoConfigName() != null) {
        git("config", List.of("git", "config", "user.name", spec.repoConfigName()), repoDir, env);
      }
      if (spec.repoConfigEmail() != null) {
        git("config", List.of("git", "config", "user.email", spec.repoConfigEmail()), repoDir, env);
      }
      if (Files.exists(codeBlob) && Files.size(codeBlob) > 0) {
        git(
            "apply",
            List.of("git", "apply", "--whitespace=nowarn", codeBlob.toString()),
            repoDir,
            env);
      }
    } finally {
      Files.deleteIfExists(keyFile);
    }
  }

  private static void git(String what, List<String> command, Path dir, Map<String, String> env)
      throws IOException {
    Files.createDirectories(dir);
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
    builder.environment().putAll(env);
    builder.redirectErrorStream(true);
    Process process = builder.start();
    byte[] output = process.getInputStream().readAllBytes();
    try {
      if (!process.waitFor(10, TimeUnit.MINUTES)) {
        process.destroyForcibly();
        throw new IOException("git " + what + " timed out");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
    if (process.exitValue() != 0) {
      String text = new String(output, StandardCharsets.UTF_8).strip();
      throw new IOException("git " + what + " failed: " + tail(text));
    }
  }

  private static String tail(String text) {
    return text.length() > 500 ? text.substring(text.length() - 500) : text;
  }

  static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
