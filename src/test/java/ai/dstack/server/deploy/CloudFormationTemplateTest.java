package ai.dstack.server.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * {@code cloudformation/template.yaml}: what CloudFormation would reject, and what upstream missed.
 */
class CloudFormationTemplateTest {
  private static final Set<String> PSEUDO_PARAMETERS =
      Set.of(
          "AWS::AccountId",
          "AWS::Region",
          "AWS::StackId",
          "AWS::StackName",
          "AWS::Partition",
          "AWS::URLSuffix",
          "AWS::NoValue",
          "AWS::NotificationARNs");
  private static final Pattern SUB_VARIABLE = Pattern.compile("\\$\\{([^!}][^}]*)}");
  private static final List<String> LOG_ACTIONS =
      List.of(
          "logs:DescribeLogStreams",
          "logs:CreateLogStream",
          "logs:GetLogEvents",
          "logs:PutLogEvents");

  private static Map<String, Object> template;
  private static Map<String, Object> resources;
  private static Map<String, Object> parameters;

  @BeforeAll
  @SuppressWarnings("unchecked")
  static void parse() throws IOException {
    try (Reader reader = Files.newBufferedReader(Path.of("cloudformation/template.yaml"))) {
      template = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
    }
    resources = (Map<String, Object>) template.get("Resources");
    parameters = (Map<String, Object>) template.get("Parameters");
  }

  /** Every map in the template, depth first. */
  @SuppressWarnings("unchecked")
  private static Stream<Map<String, Object>> maps(Object node) {
    if (node instanceof Map<?, ?> map) {
      return Stream.concat(
          Stream.of((Map<String, Object>) map), map.values().stream().flatMap(v -> maps(v)));
    }
    if (node instanceof List<?> list) {
      return list.stream().flatMap(v -> maps(v));
    }
    return Stream.empty();
  }

  private static boolean known(String name) {
    return parameters.containsKey(name)
        || resources.containsKey(name)
        || PSEUDO_PARAMETERS.contains(name);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> properties(String resource) {
    return (Map<String, Object>) ((Map<String, Object>) resources.get(resource)).get("Properties");
  }

  @Test
  void everyRefGetAttSubAndConditionNamesSomethingThatExists() {
    List<String> problems = new ArrayList<>();
    Map<?, ?> conditions = (Map<?, ?>) template.get("Conditions");
    maps(template)
        .forEach(
            map -> {
              if (map.get("Ref") instanceof String ref && !known(ref)) {
                problems.add("Ref " + ref);
              }
              if (map.get("Fn::GetAtt") instanceof List<?> att
                  && !resources.containsKey(String.valueOf(att.get(0)))) {
                problems.add("Fn::GetAtt " + att);
              }
              if (map.containsKey("Fn::Sub")) {
                Object sub = map.get("Fn::Sub");
                String text = sub instanceof List<?> l ? (String) l.get(0) : (String) sub;
                Map<?, ?> local =
                    sub instanceof List<?> l && l.size() > 1 ? (Map<?, ?>) l.get(1) : Map.of();
                Matcher variable = SUB_VARIABLE.matcher(text);
                while (variable.find()) {
                  String name = variable.group(1).split("\\.")[0];
                  String whole = variable.group(1);
                  if (!local.containsKey(whole)
                      && !(whole.contains(".") ? resources.containsKey(name) : known(name))) {
                    problems.add("Fn::Sub ${" + whole + "} in " + text);
                  }
                }
              }
              if (map.get("Fn::If") instanceof List<?> branch
                  && !conditions.containsKey(branch.get(0))) {
                problems.add("Fn::If " + branch.get(0));
              }
            });
    resources.forEach(
        (name, body) -> {
          Map<?, ?> resource = (Map<?, ?>) body;
          Object dependsOn = resource.get("DependsOn");
          for (Object target :
              dependsOn instanceof List<?> l
                  ? l
                  : dependsOn == null ? List.of() : List.of(dependsOn)) {
            if (!resources.containsKey(target)) {
              problems.add(name + " DependsOn " + target);
            }
          }
          if (resource.get("Condition") != null
              && !conditions.containsKey(resource.get("Condition"))) {
            problems.add(name + " Condition " + resource.get("Condition"));
          }
          assertTrue(String.valueOf(resource.get("Type")).matches("AWS::\\w+::\\w+"), name);
        });
    assertEquals(List.of(), problems);
  }

  @Test
  void theParametersAreTheVpcItsPrivateSubnetsTheImageAndAHiddenAdminToken() {
    assertEquals("AWS::EC2::VPC::Id", ((Map<?, ?>) parameters.get("VpcId")).get("Type"));
    assertEquals(
        "List<AWS::EC2::Subnet::Id>", ((Map<?, ?>) parameters.get("PrivateSubnetIds")).get("Type"));
    assertEquals("latest", ((Map<?, ?>) parameters.get("ImageVersion")).get("Default"));
    assertTrue(parameters.containsKey("ImageRepository"));
    assertEquals(true, ((Map<?, ?>) parameters.get("AdminToken")).get("NoEcho"));
  }

  @Test
  void theTaskRoleMayUseTheRunLogGroupWithTheFourActionsUpstreamDocuments() {
    List<?> policies = (List<?>) properties("TaskRole").get("Policies");
    List<Map<String, Object>> statements =
        maps(policies)
            .filter(m -> m.containsKey("Action") && "Allow".equals(m.get("Effect")))
            .toList();
    Map<String, Object> logs =
        statements.stream()
            .filter(s -> s.get("Action") instanceof List<?> a && a.containsAll(LOG_ACTIONS))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no statement grants " + LOG_ACTIONS));
    List<String> arns = maps(logs.get("Resource")).map(m -> (String) m.get("Fn::Sub")).toList();
    assertTrue(
        arns.stream().anyMatch(a -> a.endsWith(":log-group:${RunLogsGroup}")), arns.toString());
    assertTrue(
        arns.stream().anyMatch(a -> a.endsWith(":log-group:${RunLogsGroup}:*")), arns.toString());
    assertEquals("AWS::Logs::LogGroup", ((Map<?, ?>) resources.get("RunLogsGroup")).get("Type"));
    // the group the permissions name is the one the server is told to use
    Map<String, Object> environment = containerEnvironment();
    assertEquals(
        Map.of("Ref", "RunLogsGroup"), environment.get("DSTACK_SERVER_CLOUDWATCH_LOG_GROUP"));
    assertEquals(
        Map.of("Ref", "AWS::Region"), environment.get("DSTACK_SERVER_CLOUDWATCH_LOG_REGION"));
  }

  @Test
  void litestreamReplicatesToTheStacksBucketWhichTheTaskMayWrite() {
    assertEquals(
        Map.of("Fn::Sub", "s3://${LitestreamBucket}/dstack"),
        containerEnvironment().get("LITESTREAM_REPLICA_URL"));
    assertEquals("Retain", ((Map<?, ?>) resources.get("LitestreamBucket")).get("DeletionPolicy"));
    List<String> actions =
        maps(properties("TaskRole").get("Policies"))
            .filter(m -> m.get("Action") instanceof List<?>)
            .filter(m -> String.valueOf(m.get("Resource")).contains("LitestreamBucket"))
            .flatMap(m -> ((List<?>) m.get("Action")).stream().map(String::valueOf))
            .toList();
    assertTrue(
        actions.containsAll(
            List.of("s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject")),
        actions.toString());
  }

  @Test
  void theServiceRunsOneFargateTaskInThePrivateSubnetsBehindAnInternalLoadBalancer() {
    Map<String, Object> service = properties("Service");
    assertEquals("FARGATE", service.get("LaunchType"));
    assertEquals(1, service.get("DesiredCount"));
    assertEquals(
        Map.of("MinimumHealthyPercent", 0, "MaximumPercent", 100),
        service.get("DeploymentConfiguration"));
    assertEquals("internal", properties("LoadBalancer").get("Scheme"));
    assertEquals(Map.of("Ref", "PrivateSubnetIds"), properties("LoadBalancer").get("Subnets"));
    assertEquals("/healthcheck", properties("TargetGroup").get("HealthCheckPath"));
    assertEquals(3000, properties("TargetGroup").get("Port"));
  }

  @Test
  void theOutputsAreTheServerUrlAndTheAdminToken() {
    Map<?, ?> outputs = (Map<?, ?>) template.get("Outputs");
    assertEquals(Set.of("ServerUrl", "AdminToken"), outputs.keySet());
    assertEquals(
        Map.of("Fn::Sub", "http://${LoadBalancer.DNSName}"),
        ((Map<?, ?>) outputs.get("ServerUrl")).get("Value"));
    assertEquals(
        ((Map<?, ?>) outputs.get("AdminToken")).get("Value"),
        containerEnvironment().get("DSTACK_SERVER_ADMIN_TOKEN"));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> containerEnvironment() {
    Map<String, Object> container =
        (Map<String, Object>)
            ((List<?>) properties("TaskDefinition").get("ContainerDefinitions")).get(0);
    Map<String, Object> environment = new java.util.LinkedHashMap<>();
    for (Object entry : (List<?>) container.get("Environment")) {
      Map<?, ?> pair = (Map<?, ?>) entry;
      environment.put((String) pair.get("Name"), pair.get("Value"));
    }
    return environment;
  }
}
