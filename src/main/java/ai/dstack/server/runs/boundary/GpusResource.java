package ai.dstack.server.runs.boundary;

import ai.dstack.server.api.ApiException;
import ai.dstack.server.api.CallContext;
import ai.dstack.server.api.Responses;
import ai.dstack.server.api.json.JsonInput;
import ai.dstack.server.projects.control.ProjectAccess;
import ai.dstack.server.projects.control.Projects;
import ai.dstack.server.projects.entity.ProjectEntity;
import ai.dstack.server.runs.control.Offers;
import ai.dstack.server.runs.control.RunSpecs;
import ai.dstack.server.runs.control.Runs;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code /api/project/{p}/gpus/list} ({@code dstack offer --group-by gpu}): the GPUs of the offers
 * a run spec gets, grouped by name, memory and vendor (and by backend, region or count when asked).
 * The client parses the answer strictly: unset fields are left out, not null.
 */
@Path("project/{project}/gpus")
@Produces(MediaType.APPLICATION_JSON)
public class GpusResource {
  private static final Set<String> GROUP_BY = Set.of("backend", "region", "count");

  @Inject private CallContext call;
  @Inject private Projects projects;
  @Inject private Runs runs;

  @POST
  @Path("list")
  @SuppressWarnings("unchecked")
  public Response list(@PathParam("project") String projectName) {
    ProjectEntity project = projects.access(call.user(), projectName, ProjectAccess.MEMBER);
    JsonInput in = JsonInput.requiredBody(call.body());
    List<String> groupBy = in.has("group_by") ? in.stringList("group_by") : List.of();
    in.validate();
    for (String field : groupBy) {
      if (!GROUP_BY.contains(field)) {
        throw ApiException.validation(
            List.of(
                JsonInput.issue(
                    List.of("body", "group_by"),
                    "unexpected value; permitted: 'backend', 'region', 'count'",
                    "value_error.const")));
      }
    }
    Map<String, Object> spec =
        RunSpecs.read(call.body().asJsonObject().get("run_spec"), List.of("body", "run_spec"));
    Map<String, Map<String, Object>> groups = new LinkedHashMap<>();
    for (Offers.Offer offer : runs.offers(call.user(), project, spec)) {
      Map<String, Object> view = offer.view();
      Map<String, Object> resources =
          (Map<String, Object>) ((Map<String, Object>) view.get("instance")).get("resources");
      List<Map<String, Object>> gpus = (List<Map<String, Object>>) resources.get("gpus");
      if (gpus.isEmpty()) {
        continue;
      }
      Map<String, Object> gpu = gpus.get(0);
      long count = gpus.size();
      String backend = (String) view.get("backend");
      String region = (String) view.get("region");
      String key =
          gpu.get("name")
              + "/"
              + gpu.get("memory_mib")
              + "/"
              + gpu.get("vendor")
              + (groupBy.contains("backend") ? "/" + backend : "")
              + (groupBy.contains("region") ? "/" + region : "")
              + (groupBy.contains("count") ? "/" + count : "");
      double price = ((Number) view.get("price")).doubleValue();
      Map<String, Object> group = groups.get(key);
      if (group == null) {
        group = new LinkedHashMap<>();
        group.put("name", gpu.get("name"));
        group.put("memory_mib", gpu.get("memory_mib"));
        group.put("vendor", gpu.get("vendor"));
        group.put("availability", new ArrayList<>());
        group.put("spot", List.of("on-demand"));
        group.put("count", range(count, count));
        group.put("price", range(price, price));
        if (groupBy.contains("backend")) {
          group.put("backend", backend);
        } else {
          group.put("backends", new ArrayList<>());
        }
        if (groupBy.contains("region")) {
          group.put("region", region);
        } else {
          group.put("regions", new ArrayList<>());
        }
        groups.put(key, group);
      }
      widen((Map<String, Object>) group.get("count"), count);
      widen((Map<String, Object>) group.get("price"), price);
      addOnce((List<Object>) group.get("availability"), view.get("availability"));
      if (group.get("backends") instanceof List<?> list) {
        addOnce((List<Object>) list, backend);
      }
      if (group.get("regions") instanceof List<?> list) {
        addOnce((List<Object>) list, region);
      }
    }
    return Responses.json(Map.of("gpus", new ArrayList<>(groups.values())));
  }

  private static Map<String, Object> range(Object min, Object max) {
    Map<String, Object> range = new LinkedHashMap<>();
    range.put("min", min);
    range.put("max", max);
    return range;
  }

  private static void widen(Map<String, Object> range, double value) {
    boolean integral = range.get("min") instanceof Long;
    if (value < ((Number) range.get("min")).doubleValue()) {
      range.put("min", integral ? (Object) (long) value : value);
    }
    if (value > ((Number) range.get("max")).doubleValue()) {
      range.put("max", integral ? (Object) (long) value : value);
    }
  }

  private static void addOnce(List<Object> list, Object value) {
    Set<Object> seen = new LinkedHashSet<>(list);
    if (seen.add(value)) {
      list.add(value);
    }
  }
}
