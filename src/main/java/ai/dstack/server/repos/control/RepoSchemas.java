package ai.dstack.server.repos.control;

import static ai.dstack.server.config.schema.Schemas.literal;
import static ai.dstack.server.config.schema.Schemas.string;

import ai.dstack.server.config.schema.AnyOfSchema;
import ai.dstack.server.config.schema.ObjectSchema;
import ai.dstack.server.config.schema.Schema;
import java.util.List;

/** Upstream's repo request models (API.md §3.6), extra fields forbidden as in its requests. */
public final class RepoSchemas {
  public static final ObjectSchema REMOTE_INFO =
      ObjectSchema.builder()
          .defaulted("repo_type", literal("remote"), "remote", false)
          .required("repo_name", string())
          .build();

  public static final ObjectSchema LOCAL_INFO =
      ObjectSchema.builder()
          .defaulted("repo_type", literal("local"), "local", false)
          .required("repo_dir", string())
          .build();

  public static final ObjectSchema VIRTUAL_INFO =
      ObjectSchema.builder().defaulted("repo_type", literal("virtual"), "virtual", false).build();

  /**
   * {@code AnyRepoInfo} of {@code repos/init}: a plain union whose variants default their {@code
   * repo_type}, so {@code {}} is a virtual repo and {@code {"repo_name": …}} a remote one.
   */
  public static final Schema INFO = AnyOfSchema.of(List.of(REMOTE_INFO, LOCAL_INFO, VIRTUAL_INFO));

  /** RemoteRepoCreds. */
  public static final ObjectSchema CREDS =
      ObjectSchema.builder()
          .required("clone_url", string())
          .optional("private_key", string())
          .optional("oauth_token", string())
          .build();

  private RepoSchemas() {}
}
