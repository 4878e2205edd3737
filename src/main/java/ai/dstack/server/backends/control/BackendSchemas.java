package ai.dstack.server.backends.control;

import static ai.dstack.server.config.schema.Schemas.bool;
import static ai.dstack.server.config.schema.Schemas.integer;
import static ai.dstack.server.config.schema.Schemas.listOf;
import static ai.dstack.server.config.schema.Schemas.literal;
import static ai.dstack.server.config.schema.Schemas.mapOf;
import static ai.dstack.server.config.schema.Schemas.string;

import ai.dstack.server.backends.entity.BackendType;
import ai.dstack.server.config.schema.AnyOfSchema;
import ai.dstack.server.config.schema.ObjectSchema;
import ai.dstack.server.config.schema.Schema;
import ai.dstack.server.config.schema.Schemas;
import ai.dstack.server.config.schema.UnionSchema;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Every backend type's models as upstream 0.20.29 declares them: the config without credentials
 * (what {@code Project.backends} shows), the config with credentials (the API's create, update and
 * config_info), and the config.yml form, which may name files instead of carrying their content.
 */
public final class BackendSchemas {
  /**
   * One backend model family; {@code file} is null for {@code dstack}, which config.yml cannot
   * configure. {@code secretField} is the top-level field holding the credentials ({@code null} for
   * {@code dstack}, which has none; Slurm's are its clusters' private keys).
   */
  public record Kind(
      List<String> types,
      ObjectSchema config,
      ObjectSchema withCreds,
      ObjectSchema file,
      String secretField) {}

  /**
   * The types upstream can configure when all its optional dependencies are installed, in its
   * order. cudo and tensordock have models but no configurator; dstack and remote are internal.
   */
  public static final List<BackendType> CONFIGURABLE =
      List.of(
          BackendType.AMDDEVCLOUD,
          BackendType.AWS,
          BackendType.AZURE,
          BackendType.CLOUDRIFT,
          BackendType.CRUSOE,
          BackendType.DATACRUNCH,
          BackendType.DIGITALOCEAN,
          BackendType.GCP,
          BackendType.HOTAISLE,
          BackendType.JARVISLABS,
          BackendType.KUBERNETES,
          BackendType.LAMBDA,
          BackendType.NEBIUS,
          BackendType.OCI,
          BackendType.RUNPOD,
          BackendType.SLURM,
          BackendType.VASTAI,
          BackendType.VERDA,
          BackendType.VULTR);

  private static final Schema STR = string();
  private static final Schema STR_LIST = listOf(string());
  private static final Schema STR_MAP = mapOf(string());
  private static final Schema BOOL = bool();
  private static final Schema INT = integer();

  /** The fields of a Slurm cluster in the model without credentials. */
  private static final List<String> SLURM_CLUSTER_FIELDS =
      List.of("name", "gpu_partitions", "cpu_partitions");

  private static final BackendSchemas PROCESS = new BackendSchemas(BackendFiles.ofProcess());

  private final List<Kind> kinds;
  private final Map<String, Kind> byType = new LinkedHashMap<>();
  private final AnyOfSchema apiBody;
  private final UnionSchema apiConfig;
  private final UnionSchema fileConfig;

  BackendSchemas(BackendFiles files) {
    kinds =
        List.of(
            aws(),
            azure(),
            simple("cloudrift", apiKeyCreds()),
            crusoe(),
            cudo(),
            verda(),
            digitalOcean(),
            gcp(files),
            hotAisle(),
            simple("jarvislabs", apiKeyCreds()),
            kubernetes(files),
            simple("lambda", apiKeyCreds()),
            oci(),
            nebius(files),
            communityCloud("runpod"),
            tensorDock(),
            communityCloud("vastai"),
            simple("vultr", apiKeyCreds()),
            slurm(files),
            dstack());
    for (Kind kind : kinds) {
      kind.types().forEach(type -> byType.put(type, kind));
    }
    apiBody = AnyOfSchema.of(kinds.stream().map(Kind::withCreds).toList());
    apiConfig = UnionSchema.of("type", kinds.stream().map(Kind::withCreds).toList());
    fileConfig =
        UnionSchema.of("type", kinds.stream().map(Kind::file).filter(Objects::nonNull).toList());
  }

  /** The schemas reading files relative to this process (home and working directory). */
  public static BackendSchemas get() {
    return PROCESS;
  }

  /**
   * A backend as config.yml lists it ({@code projects[].backends[]}): discriminated by {@code
   * type}; named files are read while it is normalized.
   */
  public static Schema fileConfig() {
    return PROCESS.file();
  }

  /** {@link #fileConfig()} with this instance's file resolution. */
  UnionSchema file() {
    return fileConfig;
  }

  /**
   * The body of create/update: a plain union of the configs with credentials, tried in upstream's
   * order (most have a default {@code type}, so a body without one may still match).
   */
  public AnyOfSchema apiBody() {
    return apiBody;
  }

  /** A config with credentials discriminated by {@code type}: YAML bodies and file → API form. */
  public UnionSchema apiConfig() {
    return apiConfig;
  }

  public Kind kind(String type) {
    return byType.get(type);
  }

  List<Kind> kinds() {
    return kinds;
  }

  // --- the models, one method per upstream models.py -------------------------------------------

  private static ObjectSchema.Builder backend(String... types) {
    // a single type has it as default; verda and digitalocean models cover two and require it
    return types.length == 1
        ? ObjectSchema.builder().defaulted("type", literal(types), types[0], false)
        : ObjectSchema.builder().required("type", literal(types));
  }

  private static ObjectSchema.Builder creds(String type) {
    return ObjectSchema.builder().defaulted("type", literal(type), type, false);
  }

  private static ObjectSchema apiKeyCreds() {
    return creds("api_key").required("api_key", STR).build();
  }

  private static ObjectSchema defaultCreds() {
    return creds("default").build();
  }

  /** A kind whose file form is its API form and whose secret is {@code creds}. */
  private static Kind kind(ObjectSchema config, Schema credsSchema) {
    ObjectSchema withCreds = config.extend().required("creds", credsSchema).build();
    return new Kind(typesOf(config), config, withCreds, withCreds, "creds");
  }

  private static List<String> typesOf(ObjectSchema config) {
    return ((Schemas.LiteralSchema) config.fieldSchema("type")).values();
  }

  private static Kind simple(String type, ObjectSchema credsSchema) {
    return kind(backend(type).optional("regions", STR_LIST).build(), credsSchema);
  }

  private static Kind communityCloud(String type) {
    return kind(
        backend(type).optional("regions", STR_LIST).optional("community_cloud", BOOL).build(),
        apiKeyCreds());
  }

  private static Kind aws() {
    ObjectSchema image =
        ObjectSchema.builder()
            .required("name", STR)
            .defaulted("owner", string(Pattern.compile("^(\\d{12}|self)$")), "self", false)
            .required("user", STR)
            .build();
    ObjectSchema osImages =
        ObjectSchema.builder().optional("cpu", image).optional("nvidia", image).build();
    ObjectSchema config =
        backend("aws")
            .optional("regions", STR_LIST)
            .optional("vpc_name", STR)
            .optional("vpc_ids", STR_MAP)
            .optional("default_vpcs", BOOL)
            .optional("public_ips", BOOL)
            .optional("iam_instance_profile", STR)
            .optional("tags", STR_MAP)
            .optional("os_images", osImages)
            .build();
    ObjectSchema accessKey =
        creds("access_key").required("access_key", STR).required("secret_key", STR).build();
    return kind(config, UnionSchema.of("type", List.of(accessKey, defaultCreds())));
  }

  private static Kind azure() {
    ObjectSchema config =
        backend("azure")
            .required("tenant_id", STR)
            .required("subscription_id", STR)
            .optional("resource_group", STR)
            .optional("regions", STR_LIST)
            .optional("vpc_ids", STR_MAP)
            .optional("subnet_ids", STR_MAP)
            .optional("public_ips", BOOL)
            .optional("vm_managed_identity", STR)
            .optional("tags", STR_MAP)
            .build();
    ObjectSchema client =
        creds("client")
            .required("client_id", STR)
            .required("client_secret", STR)
            .optional("tenant_id", STR)
            .build();
    return kind(config, UnionSchema.of("type", List.of(client, defaultCreds())));
  }

  private static Kind crusoe() {
    ObjectSchema config =
        backend("crusoe").required("project_id", STR).optional("regions", STR_LIST).build();
    return kind(
        config,
        creds("access_key").required("access_key", STR).required("secret_key", STR).build());
  }

  private static Kind cudo() {
    ObjectSchema config =
        backend("cudo").optional("regions", STR_LIST).required("project_id", STR).build();
    return kind(config, apiKeyCreds());
  }

  private static Kind verda() {
    ObjectSchema config = backend("verda", "datacrunch").optional("regions", STR_LIST).build();
    return kind(
        config, creds("api_key").required("client_id", STR).required("client_secret", STR).build());
  }

  private static Kind digitalOcean() {
    ObjectSchema config =
        backend("amddevcloud", "digitalocean")
            .optional("project_name", STR)
            .optional("regions", STR_LIST)
            .build();
    return kind(config, apiKeyCreds());
  }

  private static Kind hotAisle() {
    ObjectSchema config =
        backend("hotaisle").required("team_handle", STR).optional("regions", STR_LIST).build();
    return kind(config, apiKeyCreds());
  }

  private static Kind tensorDock() {
    return simple(
        "tensordock", creds("api_key").required("api_key", STR).required("api_token", STR).build());
  }

  private static Kind gcp(BackendFiles files) {
    ObjectSchema config =
        backend("gcp")
            .required("project_id", STR)
            .optional("regions", STR_LIST)
            .optional("vpc_name", STR)
            .optional("extra_vpcs", STR_LIST)
            .optional("roce_vpcs", listOf(STR, 1))
            .optional("vpc_project_id", STR)
            .optional("public_ips", BOOL)
            .optional("nat_check", BOOL)
            .optional("vm_service_account", STR)
            .optional("tags", STR_MAP)
            .optional("preview_features", listOf(literal("g4"), 1))
            .build();
    ObjectSchema serviceAccount =
        creds("service_account").defaulted("filename", STR, "", true).required("data", STR).build();
    ObjectSchema serviceAccountFile =
        creds("service_account")
            .required("filename", STR)
            .optional("data", STR)
            .check(values -> files.fillData(values, "filename", "data"))
            .build();
    ObjectSchema withCreds =
        config
            .extend()
            .required("creds", UnionSchema.of("type", List.of(serviceAccount, defaultCreds())))
            .build();
    ObjectSchema file =
        config
            .extend()
            .required("creds", UnionSchema.of("type", List.of(serviceAccountFile, defaultCreds())))
            .build();
    return new Kind(typesOf(config), config, withCreds, file, "creds");
  }

  private static Kind nebius(BackendFiles files) {
    ObjectSchema config =
        backend("nebius")
            .optional("projects", STR_LIST)
            .optional("regions", STR_LIST)
            .optional("fabrics", STR_LIST)
            .optional("tags", STR_MAP)
            .build();
    ObjectSchema serviceAccount =
        creds("service_account")
            .required("service_account_id", STR)
            .required("public_key_id", STR)
            .optional("private_key_file", STR)
            .required("private_key_content", STR)
            .optional("filename", STR)
            .build();
    ObjectSchema serviceAccountFile =
        creds("service_account")
            .optional("service_account_id", STR)
            .optional("public_key_id", STR)
            .optional("private_key_file", STR)
            .optional("private_key_content", STR)
            .optional("filename", STR)
            .check(files::fillNebiusCreds)
            .build();
    return new Kind(
        typesOf(config),
        config,
        config.extend().required("creds", serviceAccount).build(),
        config.extend().required("creds", serviceAccountFile).build(),
        "creds");
  }

  private static Kind oci() {
    ObjectSchema config =
        backend("oci").optional("regions", STR_LIST).optional("compartment_id", STR).build();
    ObjectSchema client =
        creds("client")
            .required("user", STR)
            .required("tenancy", STR)
            .optional("key_file", STR)
            .optional("key_content", STR)
            .optional("pass_phrase", STR)
            .required("fingerprint", STR)
            .required("region", STR)
            .check(BackendSchemas::keyFileXorKeyContent)
            .build();
    ObjectSchema defaults =
        creds("default")
            .defaulted("file", STR, "~/.oci/config", false)
            .defaulted("profile", STR, "DEFAULT", false)
            .build();
    return kind(config, UnionSchema.of("type", List.of(client, defaults)));
  }

  private static Map<String, Object> keyFileXorKeyContent(Map<String, Object> values) {
    boolean file = truthy(values.get("key_file"));
    boolean content = truthy(values.get("key_content"));
    if (file && content) {
      throw new IllegalArgumentException("key_file and key_content are mutually exclusive");
    }
    if (!file && !content) {
      throw new IllegalArgumentException("Either key_file or key_content should be set");
    }
    return values;
  }

  private static boolean truthy(Object text) {
    return text != null && !text.toString().isEmpty();
  }

  private static Kind kubernetes(BackendFiles files) {
    ObjectSchema proxyJump =
        ObjectSchema.builder().optional("hostname", STR).optional("port", INT).build();
    ObjectSchema context =
        ObjectSchema.builder().required("name", STR).optional("proxy_jump", proxyJump).build();
    ObjectSchema config =
        backend("kubernetes")
            .optional("contexts", listOf(AnyOfSchema.of(List.of(context, STR))))
            .optional("proxy_jump", proxyJump)
            .optional("namespace", STR)
            .build();
    ObjectSchema kubeconfig =
        ObjectSchema.builder().defaulted("filename", STR, "", false).required("data", STR).build();
    ObjectSchema kubeconfigFile =
        ObjectSchema.builder()
            .defaulted("filename", STR, "", false)
            .optional("data", STR)
            .check(
                values -> {
                  if ("".equals(values.get("filename")) && values.get("data") == null) {
                    throw new IllegalArgumentException("filename or data must be specified");
                  }
                  return files.fillData(values, "filename", "data");
                })
            .build();
    return new Kind(
        typesOf(config),
        config,
        config.extend().required("kubeconfig", kubeconfig).build(),
        config.extend().required("kubeconfig", kubeconfigFile).build(),
        "kubeconfig");
  }

  private static Kind slurm(BackendFiles files) {
    ObjectSchema gpuPartition =
        ObjectSchema.builder().required("gpu", STR).required("partitions", STR_LIST).build();
    ObjectSchema cluster =
        ObjectSchema.builder()
            .required("name", STR)
            .optional("gpu_partitions", listOf(gpuPartition))
            .optional("cpu_partitions", STR_LIST)
            .build();
    ObjectSchema clusterWithAddress =
        cluster
            .extend()
            .required("hostname", STR)
            .optional("port", INT)
            .required("user", STR)
            .build();
    ObjectSchema privateKey =
        ObjectSchema.builder().defaulted("path", STR, "", false).required("content", STR).build();
    ObjectSchema privateKeyFile =
        ObjectSchema.builder()
            .defaulted("path", STR, "", false)
            .optional("content", STR)
            .check(values -> files.fillData(values, "path", "content"))
            .build();
    ObjectSchema config = backend("slurm").required("clusters", listOf(cluster)).build();
    ObjectSchema withCreds =
        backend("slurm")
            .required(
                "clusters",
                listOf(clusterWithAddress.extend().required("private_key", privateKey).build()))
            .build();
    ObjectSchema file =
        backend("slurm")
            .required(
                "clusters",
                listOf(clusterWithAddress.extend().required("private_key", privateKeyFile).build()))
            .build();
    return new Kind(typesOf(config), config, withCreds, file, null);
  }

  private static Kind dstack() {
    ObjectSchema config = backend("dstack").required("base_backends", STR_LIST).build();
    return new Kind(typesOf(config), config, config, null, null);
  }

  /**
   * A config with credentials split into what may be shown and stored in the clear, and the
   * credentials (Slurm's private keys, one per cluster, in cluster order).
   */
  public record Split(Map<String, Object> config, Object secret) {}

  public Split split(Map<String, Object> withCreds) {
    Map<String, Object> config = new LinkedHashMap<>(withCreds);
    if (!"slurm".equals(config.get("type"))) {
      String field = kind((String) config.get("type")).secretField();
      return new Split(config, field == null ? null : config.remove(field));
    }
    List<Object> clusters = new ArrayList<>();
    List<Object> keys = new ArrayList<>();
    for (Object item : (List<?>) config.get("clusters")) {
      Map<String, Object> cluster = new LinkedHashMap<>(asMap(item));
      keys.add(cluster.remove("private_key"));
      clusters.add(cluster);
    }
    config.put("clusters", clusters);
    return new Split(config, keys);
  }

  /** The inverse of {@link #split}: credentials go back last, where the models declare them. */
  public Map<String, Object> merge(Map<String, Object> config, Object secret) {
    Map<String, Object> withCreds = new LinkedHashMap<>(config);
    if (!"slurm".equals(config.get("type"))) {
      String field = kind((String) config.get("type")).secretField();
      if (field != null) {
        withCreds.put(field, secret);
      }
      return withCreds;
    }
    List<?> keys = (List<?>) secret;
    List<Object> clusters = new ArrayList<>();
    List<?> stored = (List<?>) config.get("clusters");
    for (int i = 0; i < stored.size(); i++) {
      Map<String, Object> cluster = new LinkedHashMap<>(asMap(stored.get(i)));
      cluster.put("private_key", keys.get(i));
      clusters.add(cluster);
    }
    withCreds.put("clusters", clusters);
    return withCreds;
  }

  /** The stored config (see {@link #split}) as the model without credentials shows it. */
  public Map<String, Object> withoutCreds(Map<String, Object> config) {
    if (!"slurm".equals(config.get("type"))) {
      return config;
    }
    Map<String, Object> shown = new LinkedHashMap<>(config);
    List<Object> clusters = new ArrayList<>();
    for (Object item : (List<?>) config.get("clusters")) {
      Map<String, Object> cluster = new LinkedHashMap<>();
      SLURM_CLUSTER_FIELDS.forEach(field -> cluster.put(field, asMap(item).get(field)));
      clusters.add(cluster);
    }
    shown.put("clusters", clusters);
    return shown;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> asMap(Object value) {
    return (Map<String, Object>) value;
  }
}
