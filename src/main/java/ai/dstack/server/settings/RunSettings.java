package ai.dstack.server.settings;

import java.time.Duration;
import java.util.Map;

/**
 * Limits and retention for runs, their code, logs, metrics and events (upstream's names and
 * defaults).
 *
 * @param codeUploadLimit largest code blob or file archive accepted, bytes ({@code
 *     DSTACK_SERVER_CODE_UPLOAD_LIMIT}, default 2 MiB)
 * @param logQuotaPerJobHour log bytes a job may print per hour before it is stopped ({@code
 *     DSTACK_SERVER_LOG_QUOTA_PER_JOB_HOUR}, default 50 MB; 0 = no quota)
 * @param metricsRunningTtl metrics points of running jobs kept this long ({@code
 *     DSTACK_SERVER_METRICS_RUNNING_TTL_SECONDS}, default 1 h)
 * @param metricsFinishedTtl metrics points of finished jobs kept this long ({@code
 *     DSTACK_SERVER_METRICS_FINISHED_TTL_SECONDS}, default 7 days)
 * @param eventsTtl events kept this long ({@code DSTACK_SERVER_EVENTS_TTL_SECONDS}, default 30
 *     days)
 * @param serviceClientTimeout the in-server service proxy's connect and read timeout towards
 *     replicas ({@code DSTACK_SERVICE_CLIENT_TIMEOUT}, default 60 s)
 */
public record RunSettings(
    long codeUploadLimit,
    long logQuotaPerJobHour,
    Duration metricsRunningTtl,
    Duration metricsFinishedTtl,
    Duration eventsTtl,
    Duration serviceClientTimeout) {

  static RunSettings from(Map<String, String> env) {
    return new RunSettings(
        number(env, "DSTACK_SERVER_CODE_UPLOAD_LIMIT", 2L * 1024 * 1024),
        number(env, "DSTACK_SERVER_LOG_QUOTA_PER_JOB_HOUR", 50L * 1024 * 1024),
        Duration.ofSeconds(number(env, "DSTACK_SERVER_METRICS_RUNNING_TTL_SECONDS", 3600)),
        Duration.ofSeconds(
            number(env, "DSTACK_SERVER_METRICS_FINISHED_TTL_SECONDS", 7L * 24 * 3600)),
        Duration.ofSeconds(number(env, "DSTACK_SERVER_EVENTS_TTL_SECONDS", 30L * 24 * 3600)),
        Duration.ofSeconds(number(env, "DSTACK_SERVICE_CLIENT_TIMEOUT", 60)));
  }

  private static long number(Map<String, String> env, String name, long fallback) {
    String value = env.get(name);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      long parsed = Long.parseLong(value.strip());
      if (parsed >= 0) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new InvalidSettingException(
        name + " must be a non-negative integer, got '" + value + "'");
  }
}
