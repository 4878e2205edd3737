package ai.dstack.server.logs.control;

import ai.dstack.server.api.ApiException;
import ai.dstack.server.settings.LogSettings;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudwatchlogs.CloudWatchLogsClient;
import software.amazon.awssdk.services.cloudwatchlogs.CloudWatchLogsClientBuilder;
import software.amazon.awssdk.services.cloudwatchlogs.model.GetLogEventsRequest;
import software.amazon.awssdk.services.cloudwatchlogs.model.GetLogEventsResponse;
import software.amazon.awssdk.services.cloudwatchlogs.model.InputLogEvent;
import software.amazon.awssdk.services.cloudwatchlogs.model.InvalidParameterException;
import software.amazon.awssdk.services.cloudwatchlogs.model.OutputLogEvent;
import software.amazon.awssdk.services.cloudwatchlogs.model.ResourceAlreadyExistsException;
import software.amazon.awssdk.services.cloudwatchlogs.model.ResourceNotFoundException;

/**
 * Run logs in an existing CloudWatch Logs group (SERVER.md §5.4): one stream per job submission and
 * producer, {@code <project>/<run>/<job_submission_id>/<job|runner>}, created on first write; pages
 * read with CloudWatch's own forward / backward tokens.
 */
public final class CloudWatchLogStorage implements LogStorage {
  /**
   * Pages that come back empty while CloudWatch still hands out new tokens are skipped this often.
   */
  private static final int EMPTY_PAGE_RETRIES = 10;

  private final CloudWatchLogsClient client;
  private final String group;
  private final String region;
  private final Set<String> knownStreams = ConcurrentHashMap.newKeySet();

  CloudWatchLogStorage(CloudWatchLogsClient client, String group, String region) {
    this.client = client;
    this.group = group;
    this.region = region;
  }

  /**
   * Connects and checks that the group exists.
   *
   * @throws RuntimeException when it does not or CloudWatch cannot be reached
   */
  static CloudWatchLogStorage connect(LogSettings settings) {
    CloudWatchLogsClientBuilder builder =
        CloudWatchLogsClient.builder().httpClient(UrlConnectionHttpClient.create());
    if (settings.cloudwatchRegion() != null) {
      builder.region(Region.of(settings.cloudwatchRegion()));
    }
    if (settings.cloudwatchEndpoint() != null) {
      builder.endpointOverride(settings.cloudwatchEndpoint());
    }
    CloudWatchLogsClient client = builder.build();
    try {
      String region = client.serviceClientConfiguration().region().id();
      CloudWatchLogStorage storage =
          new CloudWatchLogStorage(client, settings.cloudwatchGroup(), region);
      storage.checkGroup();
      return storage;
    } catch (RuntimeException e) {
      client.close();
      throw e;
    }
  }

  private void checkGroup() {
    try {
      client.describeLogStreams(r -> r.logGroupName(group).limit(1));
    } catch (ResourceNotFoundException e) {
      throw new IllegalStateException("LogGroup '" + group + "' does not exist", e);
    }
  }

  static String streamName(JobLogs target, LogProducer producer) {
    return target.projectName()
        + "/"
        + target.runName()
        + "/"
        + target.jobSubmissionId()
        + "/"
        + producer.value();
  }

  @Override
  public void write(JobLogs target, LogProducer producer, List<RunnerLogEvent> events) {
    if (events.isEmpty() || !target.wellFormed()) {
      return;
    }
    String stream = streamName(target, producer);
    List<List<CloudWatchBatches.Event>> batches =
        CloudWatchBatches.split(stream, events, System.currentTimeMillis());
    if (batches.isEmpty()) {
      return;
    }
    ensureStream(stream, false);
    for (List<CloudWatchBatches.Event> batch : batches) {
      List<InputLogEvent> input =
          batch.stream()
              .map(
                  e ->
                      InputLogEvent.builder()
                          .timestamp(e.timestampMillis())
                          .message(e.message())
                          .build())
              .toList();
      try {
        put(stream, input);
      } catch (ResourceNotFoundException e) {
        // the stream was deleted behind our back: make it again, once
        ensureStream(stream, true);
        put(stream, input);
      }
    }
  }

  private void put(String stream, List<InputLogEvent> events) {
    client.putLogEvents(r -> r.logGroupName(group).logStreamName(stream).logEvents(events));
  }

  private void ensureStream(String stream, boolean force) {
    if (!force && knownStreams.contains(stream)) {
      return;
    }
    boolean exists =
        client
            .describeLogStreams(r -> r.logGroupName(group).logStreamNamePrefix(stream))
            .logStreams()
            .stream()
            .anyMatch(s -> s.logStreamName().equals(stream));
    if (!exists) {
      try {
        client.createLogStream(r -> r.logGroupName(group).logStreamName(stream));
      } catch (ResourceAlreadyExistsException e) {
        // another replica made it meanwhile
      }
    }
    knownStreams.add(stream);
  }

  @Override
  public LogPage poll(JobLogs target, LogProducer producer, LogQuery query) {
    if (!target.wellFormed()) {
      return LogPage.EMPTY;
    }
    String stream = streamName(target, producer);
    String token = query.nextToken();
    String previous = token;
    try {
      for (int attempt = 0; attempt < EMPTY_PAGE_RETRIES; attempt++) {
        GetLogEventsResponse page = client.getLogEvents(request(stream, query, token));
        String next = query.descending() ? page.nextBackwardToken() : page.nextForwardToken();
        if (!page.events().isEmpty()) {
          List<LogEvent> events = new ArrayList<>();
          for (OutputLogEvent event : page.events()) {
            events.add(
                new LogEvent(Instant.ofEpochMilli(event.timestamp()), "stdout", event.message()));
          }
          if (query.descending()) {
            Collections.reverse(events);
          }
          return new LogPage(events, externalUrl(stream), next);
        }
        if (next == null || next.equals(previous)) {
          return new LogPage(List.of(), externalUrl(stream), null);
        }
        previous = next;
        token = next;
      }
      // backwards, CloudWatch guarantees more events behind its token; forwards it always hands one
      // out
      return new LogPage(List.of(), externalUrl(stream), query.descending() ? token : null);
    } catch (ResourceNotFoundException e) {
      checkGroup();
      return new LogPage(List.of(), externalUrl(stream), null);
    } catch (InvalidParameterException e) {
      throw ApiException.error("Invalid next_token: " + query.nextToken());
    }
  }

  private GetLogEventsRequest request(String stream, LogQuery query, String token) {
    GetLogEventsRequest.Builder request =
        GetLogEventsRequest.builder()
            .logGroupName(group)
            .logStreamName(stream)
            .limit(Math.max(1, query.limit()))
            .startFromHead(!query.descending());
    if (query.startTime() != null) {
      // logs/poll is strictly after start_time; CloudWatch's startTime includes it (milliseconds)
      request.startTime(query.startTime().toEpochMilli() + 1);
    }
    if (query.endTime() != null) {
      request.endTime(query.endTime().toEpochMilli());
    } else if (!query.descending()) {
      // reading forwards while lines keep arriving would never end otherwise
      request.endTime(System.currentTimeMillis());
    }
    if (token != null) {
      request.nextToken(token);
    }
    return request.build();
  }

  private String externalUrl(String stream) {
    return "https://console.aws.amazon.com/cloudwatch/home?region="
        + region
        + "#logsV2:log-groups/log-group/"
        + URLEncoder.encode(group, StandardCharsets.UTF_8).replace("+", "%20")
        + "/log-events/"
        + URLEncoder.encode(stream, StandardCharsets.UTF_8).replace("+", "%20");
  }

  @Override
  public void close() {
    client.close();
  }
}
