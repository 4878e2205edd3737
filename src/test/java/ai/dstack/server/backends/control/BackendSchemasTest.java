package ai.dstack.server.backends.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.server.config.UpstreamYaml;
import ai.dstack.server.config.schema.AnyOfSchema;
import ai.dstack.server.config.schema.SchemaViolation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.yaml.snakeyaml.Yaml;

class BackendSchemasTest {
  @TempDir Path home;
  private BackendSchemas schemas;

  @BeforeEach
  void setUp() {
    schemas = new BackendSchemas(new BackendFiles(home));
  }

  private static Map<String, Object> yaml(String text) {
    return new Yaml().load(text);
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> api(String text) {
    return (Map<String, Object>) schemas.apiConfig().normalize(yaml(text));
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> file(String text) {
    return (Map<String, Object>) schemas.file().normalize(yaml(text));
  }

  private SchemaViolation apiViolation(String text) {
    return assertThrows(SchemaViolation.class, () -> schemas.apiConfig().normalize(yaml(text)));
  }

  private SchemaViolation fileViolation(String text) {
    return assertThrows(SchemaViolation.class, () -> schemas.file().normalize(yaml(text)));
  }

  /** Each type: a minimal valid API config normalizes with every field, type first. */
  @ParameterizedTest
  @CsvSource(
      delimiterString = " => ",
      quoteCharacter = '`',
      value = {
        "type: aws\\ncreds: {type: access_key, access_key: a, secret_key: s} => type,regions,vpc_name,vpc_ids,default_vpcs,public_ips,iam_instance_profile,tags,os_images,creds",
        "type: azure\\ntenant_id: t\\nsubscription_id: s\\ncreds: {type: client, client_id: c, client_secret: s} => type,tenant_id,subscription_id,resource_group,regions,vpc_ids,subnet_ids,public_ips,vm_managed_identity,tags,creds",
        "type: gcp\\nproject_id: p\\ncreds: {type: service_account, data: '{}'} => type,project_id,regions,vpc_name,extra_vpcs,roce_vpcs,vpc_project_id,public_ips,nat_check,vm_service_account,tags,preview_features,creds",
        "type: lambda\\ncreds: {api_key: k} => type,regions,creds",
        "type: nebius\\ncreds: {service_account_id: s, public_key_id: p, private_key_content: k} => type,projects,regions,fabrics,tags,creds",
        "type: oci\\ncreds: {type: default} => type,regions,compartment_id,creds",
        "type: runpod\\ncreds: {api_key: k} => type,regions,community_cloud,creds",
        "type: vastai\\ncreds: {api_key: k} => type,regions,community_cloud,creds",
        "type: kubernetes\\nkubeconfig: {data: x}\\ncontexts: [a, {name: b}] => type,contexts,proxy_jump,namespace,kubeconfig",
        "type: slurm\\nclusters: [{name: c, hostname: h, user: u, private_key: {content: k}}] => type,clusters",
        "type: verda\\ncreds: {client_id: c, client_secret: s} => type,regions,creds",
        "type: datacrunch\\ncreds: {client_id: c, client_secret: s} => type,regions,creds",
        "type: vultr\\ncreds: {api_key: k} => type,regions,creds",
        "type: amddevcloud\\ncreds: {api_key: k} => type,project_name,regions,creds",
        "type: digitalocean\\ncreds: {api_key: k} => type,project_name,regions,creds",
        "type: crusoe\\nproject_id: p\\ncreds: {access_key: a, secret_key: s} => type,project_id,regions,creds",
        "type: hotaisle\\nteam_handle: t\\ncreds: {api_key: k} => type,team_handle,regions,creds",
        "type: jarvislabs\\ncreds: {api_key: k} => type,regions,creds",
        "type: cloudrift\\ncreds: {api_key: k} => type,regions,creds",
        "type: cudo\\nproject_id: p\\ncreds: {api_key: k} => type,regions,project_id,creds",
        "type: tensordock\\ncreds: {api_key: k, api_token: t} => type,regions,creds",
        "type: dstack\\nbase_backends: [aws] => type,base_backends",
      })
  void everyTypeHasItsApiModel(String config, String fields) {
    Map<String, Object> normalized = api(config.replace("\\n", "\n"));
    assertEquals(List.of(fields.split(",")), List.copyOf(normalized.keySet()));
  }

  @Test
  void credsAndNestedModelsGetTheirDefaults() {
    Map<String, Object> aws =
        api("type: aws\nos_images: {cpu: {name: n, user: u}}\ncreds: {type: default}");
    assertEquals(
        Map.of("cpu", Map.of("name", "n", "owner", "self", "user", "u")),
        withoutNulls(aws.get("os_images")));
    Map<String, Object> oci = api("type: oci\ncreds: {type: default}");
    assertEquals(
        Map.of("type", "default", "file", "~/.oci/config", "profile", "DEFAULT"), oci.get("creds"));
    Map<String, Object> lambda = api("creds: {api_key: k}\ntype: lambda");
    assertEquals(Map.of("type", "api_key", "api_key", "k"), lambda.get("creds"));
    Map<String, Object> gcp =
        api("type: gcp\nproject_id: 12\ncreds: {type: service_account, data: d}");
    assertEquals("12", gcp.get("project_id"));
    assertEquals("", ((Map<?, ?>) gcp.get("creds")).get("filename"));
  }

  @SuppressWarnings("unchecked")
  private static Object withoutNulls(Object value) {
    if (value instanceof Map<?, ?> map) {
      java.util.Map<String, Object> kept = new java.util.LinkedHashMap<>();
      map.forEach(
          (k, v) -> {
            if (v != null) {
              kept.put((String) k, withoutNulls(v));
            }
          });
      return kept;
    }
    return value;
  }

  @ParameterizedTest
  @CsvSource(
      delimiterString = " => ",
      quoteCharacter = '`',
      value = {
        "regions: [] => (root) => Discriminator 'type' is missing in value",
        "type: nope => (root) => No match for discriminator 'type' and value 'nope' (allowed values: 'aws', 'azure', 'cloudrift', 'crusoe', 'cudo', 'verda', 'datacrunch', 'amddevcloud', 'digitalocean', 'gcp', 'hotaisle', 'jarvislabs', 'kubernetes', 'lambda', 'oci', 'nebius', 'runpod', 'tensordock', 'vastai', 'vultr', 'slurm', 'dstack')",
        "type: lambda => creds => field required",
        "type: lambda\\ncreds: {api_key: k}\\nfoo: 1 => foo => extra fields not permitted",
        "type: lambda\\ncreds: {type: secret, api_key: k} => creds.type => unexpected value; permitted: 'api_key'",
        "type: lambda\\nregions: us => regions => value is not a valid list",
        "type: lambda\\nregions: [true] => regions[0] => str type expected",
        "type: runpod\\ncommunity_cloud: maybe\\ncreds: {api_key: k} => community_cloud => value could not be parsed to a boolean",
        "type: aws\\ncreds: {type: access_key, access_key: a} => creds.secret_key => field required",
        "type: aws\\ncreds: {type: root} => creds => No match for discriminator 'type' and value 'root' (allowed values: 'access_key', 'default')",
        "type: aws\\nos_images: {cpu: {name: n, user: u, owner: bob}}\\ncreds: {type: default} => os_images.cpu.owner => string does not match regex \"^(\\d{12}|self)$\"",
        "type: aws\\ntags: {a: null}\\ncreds: {type: default} => tags.a => none is not an allowed value",
        "type: gcp\\nproject_id: p\\nroce_vpcs: [a, b]\\ncreds: {type: default} => roce_vpcs => ensure this value has at most 1 items",
        "type: gcp\\nproject_id: p\\npreview_features: [g5]\\ncreds: {type: default} => preview_features[0] => unexpected value; permitted: 'g4'",
        "type: gcp\\nproject_id: p\\ncreds: {type: service_account, filename: f} => creds.data => field required",
        "type: oci\\ncreds: {type: client, user: u, tenancy: t, fingerprint: f, region: r} => creds => Either key_file or key_content should be set",
        "type: oci\\ncreds: {type: client, user: u, tenancy: t, fingerprint: f, region: r, key_file: a, key_content: b} => creds => key_file and key_content are mutually exclusive",
        "type: kubernetes\\nkubeconfig: {filename: f} => kubeconfig.data => field required",
        "type: kubernetes\\nproxy_jump: {port: x}\\nkubeconfig: {data: d} => proxy_jump.port => value is not a valid integer",
        "type: slurm\\nclusters: [{name: c, user: u, private_key: {content: k}}] => clusters[0].hostname => field required",
        "type: verda\\ncreds: {client_id: c} => creds.client_secret => field required",
        "type: azure\\ncreds: {type: default} => tenant_id => field required",
        "type: hotaisle\\ncreds: {api_key: k} => team_handle => field required",
        "type: crusoe\\ncreds: {access_key: a, secret_key: s} => project_id => field required",
        "type: dstack => base_backends => field required",
      })
  void apiModelsRejectWithUpstreamsMessages(String config, String path, String problem) {
    SchemaViolation v = apiViolation(config.replace("\\n", "\n"));
    assertEquals(path, v.dottedPath());
    assertEquals(problem, v.problem());
  }

  @Test
  void aBodyWithoutTypeMatchesTheFirstMemberThatFits() {
    @SuppressWarnings("unchecked")
    Map<String, Object> body =
        (Map<String, Object>) schemas.apiBody().normalize(yaml("creds: {api_key: k}"));
    assertEquals("cloudrift", body.get("type"));
    AnyOfSchema.Violation v =
        assertThrows(
            AnyOfSchema.Violation.class,
            () -> schemas.apiBody().normalize(yaml("type: lambda\ncreds: {}")));
    assertEquals(schemas.kinds().size(), v.rejections().size());
    assertEquals("creds.api_key", v.rejections().get(11).dottedPath());
    assertEquals("type", v.rejections().get(0).dottedPath());
  }

  @Test
  void fileFormsReadTheFilesTheyName() throws IOException {
    Files.writeString(home.resolve("sa.json"), "{\"sa\":1}");
    Map<String, Object> gcp =
        file("type: gcp\nproject_id: p\ncreds: {type: service_account, filename: ~/sa.json}");
    assertEquals(
        Map.of("type", "service_account", "filename", "~/sa.json", "data", "{\"sa\":1}"),
        gcp.get("creds"));
    assertEquals(gcp, api(new Yaml().dump(gcp)));

    Path kubeconfig = Files.writeString(home.resolve("kube"), "apiVersion: v1\n");
    Map<String, Object> k8s = file("type: kubernetes\nkubeconfig: {filename: " + kubeconfig + "}");
    assertEquals("apiVersion: v1\n", ((Map<?, ?>) k8s.get("kubeconfig")).get("data"));

    Files.writeString(home.resolve("id_rsa"), "KEY");
    Map<String, Object> slurm =
        file(
            "type: slurm\nclusters: [{name: c, hostname: h, user: u, private_key: {path: ~/id_rsa}}]");
    Map<?, ?> cluster = (Map<?, ?>) ((List<?>) slurm.get("clusters")).get(0);
    assertEquals(Map.of("path", "~/id_rsa", "content", "KEY"), cluster.get("private_key"));

    Files.writeString(home.resolve("nebius.pem"), "PEM");
    Map<String, Object> nebius =
        file(
            "type: nebius\ncreds: {service_account_id: s, public_key_id: p, private_key_file: ~/nebius.pem}");
    assertEquals("PEM", ((Map<?, ?>) nebius.get("creds")).get("private_key_content"));

    Files.writeString(
        home.resolve("credentials.json"),
        "{\"subject-credentials\":{\"type\":\"JWT\",\"alg\":\"RS256\",\"private-key\":\"PK\","
            + "\"kid\":\"publickey-1\",\"iss\":\"serviceaccount-1\",\"sub\":\"serviceaccount-1\"}}");
    Map<?, ?> creds =
        (Map<?, ?>) file("type: nebius\ncreds: {filename: ~/credentials.json}").get("creds");
    assertEquals("serviceaccount-1", creds.get("service_account_id"));
    assertEquals("publickey-1", creds.get("public_key_id"));
    assertEquals("PK", creds.get("private_key_content"));

    Map<String, Object> inline =
        file(
            "type: gcp\nproject_id: p\ncreds: {type: service_account, filename: nowhere, data: d}");
    assertEquals("d", ((Map<?, ?>) inline.get("creds")).get("data"));
  }

  @ParameterizedTest
  @CsvSource(
      delimiterString = " => ",
      quoteCharacter = '`',
      value = {
        "type: gcp\\nproject_id: p\\ncreds: {type: service_account, filename: ~/missing.json} => creds => No such file ~/missing.json",
        "type: gcp\\nproject_id: p\\ncreds: {type: service_account} => creds.filename => field required",
        "type: kubernetes\\nkubeconfig: {} => kubeconfig => filename or data must be specified",
        "type: slurm\\nclusters: [{name: c, hostname: h, user: u, private_key: {path: /nope}}] => clusters[0].private_key => No such file /nope",
        "type: nebius\\ncreds: {service_account_id: s} => creds => Either `private_key_file` or `private_key_content` must be specified",
        "type: nebius\\ncreds: {filename: ~/bad.json} => creds => Failed to parse credentials file ~/bad.json: no subject-credentials object",
        "type: dstack\\nbase_backends: [aws] => (root) => No match for discriminator 'type' and value 'dstack' (allowed values: 'aws', 'azure', 'cloudrift', 'crusoe', 'cudo', 'verda', 'datacrunch', 'amddevcloud', 'digitalocean', 'gcp', 'hotaisle', 'jarvislabs', 'kubernetes', 'lambda', 'oci', 'nebius', 'runpod', 'tensordock', 'vastai', 'vultr', 'slurm')",
      })
  void fileFormsReportMissingOrBadFiles(String config, String path, String problem)
      throws IOException {
    Files.writeString(home.resolve("bad.json"), "{}");
    SchemaViolation v = fileViolation(config.replace("\\n", "\n"));
    assertEquals(path, v.dottedPath());
    assertEquals(problem, v.problem());
  }

  @Test
  void splitKeepsCredentialsApartAndMergeRestoresThem() {
    Map<String, Object> aws =
        api("type: aws\ncreds: {type: access_key, access_key: a, secret_key: s}");
    BackendSchemas.Split split = schemas.split(aws);
    assertNull(split.config().get("creds"));
    assertEquals(
        Map.of("type", "access_key", "access_key", "a", "secret_key", "s"), split.secret());
    assertEquals(aws, schemas.merge(split.config(), split.secret()));
    assertEquals(
        List.copyOf(aws.keySet()),
        List.copyOf(schemas.merge(split.config(), split.secret()).keySet()));

    Map<String, Object> slurm =
        api(
            "type: slurm\nclusters: [{name: c, hostname: h, port: 22, user: u, private_key: {content: k}}]");
    BackendSchemas.Split slurmSplit = schemas.split(slurm);
    assertTrue(!slurmSplit.config().toString().contains("content"));
    assertEquals(slurm, schemas.merge(slurmSplit.config(), slurmSplit.secret()));
    assertEquals(
        List.of(java.util.Arrays.asList("c", null, null).stream().toList().get(0)),
        List.of(
            ((Map<?, ?>)
                    ((List<?>) schemas.withoutCreds(slurmSplit.config()).get("clusters")).get(0))
                .get("name")));
    assertEquals(
        List.of("name", "gpu_partitions", "cpu_partitions"),
        List.copyOf(
            ((Map<?, ?>)
                    ((List<?>) schemas.withoutCreds(slurmSplit.config()).get("clusters")).get(0))
                .keySet()));

    Map<String, Object> k8s = api("type: kubernetes\nkubeconfig: {data: secret}");
    assertEquals(Map.of("filename", "", "data", "secret"), schemas.split(k8s).secret());
  }

  @Test
  void yamlIsWrittenAsPyYamlWritesIt() {
    Map<String, Object> slurm =
        api(
            "type: slurm\nclusters: [{name: c, hostname: h, port: 22, user: u,"
                + " gpu_partitions: [{gpu: A100, partitions: [p1, p2]}], cpu_partitions: [],"
                + " private_key: {content: \"line1\\nline2\\n\"}}]");
    assertEquals(
        "type: slurm\n"
            + "clusters:\n"
            + "- name: c\n"
            + "  gpu_partitions:\n"
            + "  - gpu: A100\n"
            + "    partitions: [p1, p2]\n"
            + "  cpu_partitions: []\n"
            + "  hostname: h\n"
            + "  port: 22\n"
            + "  user: u\n"
            + "  private_key:\n"
            + "    path: ''\n"
            + "    content: 'line1\n\n      line2\n\n      '\n",
        UpstreamYaml.dump(slurm));
  }

  @Test
  void yamlValidationErrorsReadLikePydantics() {
    SchemaViolation v = apiViolation("type: nope");
    assertEquals(
        "1 validation error for _BackendConfigWithCredsRequest\n__root__\n  "
            + v.problem()
            + " (type=value_error.discriminated_union.invalid_discriminator; discriminator_key=type;"
            + " discriminator_value=nope; allowed_values='aws', 'azure', 'cloudrift', 'crusoe',"
            + " 'cudo', 'verda', 'datacrunch', 'amddevcloud', 'digitalocean', 'gcp', 'hotaisle',"
            + " 'jarvislabs', 'kubernetes', 'lambda', 'oci', 'nebius', 'runpod', 'tensordock',"
            + " 'vastai', 'vultr', 'slurm', 'dstack')",
        Backends.validationErrorText(v));
  }
}
