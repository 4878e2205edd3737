package ai.dstack.server.events.boundary;

import ai.dstack.server.api.CallContext;
import ai.dstack.server.api.JsonOutput;
import ai.dstack.server.api.Responses;
import ai.dstack.server.api.json.JsonInput;
import ai.dstack.server.db.Keyset;
import ai.dstack.server.events.control.EventTargetType;
import ai.dstack.server.events.control.Events;
import ai.dstack.server.users.entity.UserEntity;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** {@code POST /api/events/list} (API.md §2.9): the audit events the caller may see. */
@Path("events")
@Produces(MediaType.APPLICATION_JSON)
public class EventsResource {
  private static final int MIN_ITEMS = 1;
  private static final int MAX_ITEMS = 16;
  private static final int MAX_LIMIT = 100;

  /** Request fields in upstream's order: errors and "Got ..." lists follow it. */
  private static final List<EventTargetType> TARGET_FILTERS =
      List.of(
          EventTargetType.PROJECT,
          EventTargetType.USER,
          EventTargetType.FLEET,
          EventTargetType.INSTANCE,
          EventTargetType.RUN,
          EventTargetType.JOB,
          EventTargetType.VOLUME,
          EventTargetType.GATEWAY,
          EventTargetType.SECRET);

  private static final List<EventTargetType> WITHIN_FILTERS =
      List.of(EventTargetType.PROJECT, EventTargetType.FLEET, EventTargetType.RUN);

  @Inject private CallContext call;
  @Inject private Events events;

  @POST
  @Path("list")
  public Response list() {
    JsonInput in = JsonInput.requiredBody(call.body());
    Map<EventTargetType, List<UUID>> targets = lists(in, "target_", TARGET_FILTERS);
    Map<EventTargetType, List<UUID>> within = lists(in, "within_", WITHIN_FILTERS);
    List<EventTargetType> includeTypes =
        in.optEnumList("include_target_types", EventTargetType.class, MIN_ITEMS, MAX_ITEMS);
    List<UUID> actors = in.optNullableUuidList("actors", MIN_ITEMS, MAX_ITEMS);
    Instant prevRecordedAt = in.optDatetime("prev_recorded_at");
    UUID prevId = in.optUuid("prev_id");
    Integer limit = in.integer("limit", MAX_LIMIT, 1, MAX_LIMIT);
    boolean ascending = in.bool("ascending", false);
    atMostOne(in, "target_", targets);
    atMostOne(in, "within_", within);
    in.validate();

    Map.Entry<EventTargetType, List<UUID>> target = first(targets);
    Map.Entry<EventTargetType, List<UUID>> scope = first(within);
    Events.Filter filter =
        new Events.Filter(
            target == null ? null : target.getKey(),
            target == null ? null : strings(target.getValue()),
            scope == null ? null : scope.getKey(),
            scope == null ? null : strings(scope.getValue()),
            includeTypes,
            actors == null ? null : strings(actors));
    Keyset page =
        new Keyset(prevRecordedAt, prevId == null ? null : prevId.toString(), limit, ascending);
    return Responses.json(events.list(call.user(), filter, page).stream().map(this::view).toList());
  }

  /** The set {@code <prefix><type>s} lists, in field order. */
  private static Map<EventTargetType, List<UUID>> lists(
      JsonInput in, String prefix, List<EventTargetType> types) {
    Map<EventTargetType, List<UUID>> lists = new LinkedHashMap<>();
    for (EventTargetType type : types) {
      List<UUID> ids = in.optUuidList(field(prefix, type), MIN_ITEMS, MAX_ITEMS);
      if (ids != null) {
        lists.put(type, ids);
      }
    }
    return lists;
  }

  /** Upstream's root validators: several filters of one kind would be empty or redundant. */
  private static void atMostOne(JsonInput in, String prefix, Map<EventTargetType, List<UUID>> set) {
    if (set.size() > 1) {
      in.rootError(
          "At most one "
              + prefix
              + "* filter can be set at a time. Got "
              + String.join(", ", set.keySet().stream().map(t -> field(prefix, t)).toList()));
    }
  }

  private static String field(String prefix, EventTargetType type) {
    return prefix + type.wire() + "s";
  }

  private static Map.Entry<EventTargetType, List<UUID>> first(
      Map<EventTargetType, List<UUID>> lists) {
    return lists.entrySet().stream().findFirst().orElse(null);
  }

  private static List<String> strings(List<UUID> ids) {
    List<String> strings = new ArrayList<>();
    ids.forEach(id -> strings.add(id == null ? null : id.toString()));
    return strings;
  }

  /** Upstream's {@code Event}. */
  private Map<String, Object> view(Events.Listed listed) {
    UserEntity actor = listed.event().getActor();
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("id", listed.event().getId());
    event.put("message", listed.event().getMessage());
    event.put("recorded_at", JsonOutput.datetime(listed.event().getRecordedAt()));
    event.put("actor_user_id", listed.event().getActorUserId());
    event.put(
        "actor_user",
        actor == null
            ? null
            : actor.isDeleted() && actor.getOriginalName() != null
                ? actor.getOriginalName()
                : actor.getName());
    event.put("is_actor_user_deleted", actor == null ? null : actor.isDeleted());
    List<Map<String, Object>> targets = new ArrayList<>();
    for (Events.ListedTarget listedTarget : listed.targets()) {
      Map<String, Object> target = new LinkedHashMap<>();
      target.put("type", listedTarget.target().getEntityType());
      target.put("project_id", listedTarget.target().getEntityProjectId());
      target.put("project_name", listedTarget.projectName());
      target.put("is_project_deleted", listedTarget.projectDeleted());
      target.put("id", listedTarget.target().getEntityId());
      target.put("name", listedTarget.target().getEntityName());
      targets.add(target);
    }
    event.put("targets", targets);
    return event;
  }
}
