package ai.dstack.server.settings;

import java.net.URI;
import java.util.Map;

/**
 * Where run logs go besides files (upstream's names).
 *
 * @param cloudwatchGroup {@code DSTACK_SERVER_CLOUDWATCH_LOG_GROUP}: an existing CloudWatch Logs
 *     group, or {@code null} for files
 * @param cloudwatchRegion {@code DSTACK_SERVER_CLOUDWATCH_LOG_REGION}, or {@code null} for the AWS
 *     SDK's default region
 * @param cloudwatchEndpoint {@code AWS_ENDPOINT_URL_CLOUDWATCH_LOGS} (else {@code
 *     AWS_ENDPOINT_URL}): the AWS SDK's standard endpoint override, for CloudWatch-compatible
 *     services and tests
 */
public record LogSettings(String cloudwatchGroup, String cloudwatchRegion, URI cloudwatchEndpoint) {
  static LogSettings from(Map<String, String> env) {
    String endpoint = blankToNull(env.get("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"));
    endpoint = endpoint != null ? endpoint : blankToNull(env.get("AWS_ENDPOINT_URL"));
    return new LogSettings(
        blankToNull(env.get("DSTACK_SERVER_CLOUDWATCH_LOG_GROUP")),
        blankToNull(env.get("DSTACK_SERVER_CLOUDWATCH_LOG_REGION")),
        endpoint == null ? null : URI.create(endpoint));
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.strip();
  }
}
