package ai.dstack.agent.shim;

import ai.dstack.agent.AgentSettings;
import ai.dstack.agent.http.HttpException;
import ai.dstack.agent.http.HttpRequest;
import ai.dstack.agent.http.HttpResponse;
import ai.dstack.agent.http.HttpServer;
import ai.dstack.agent.json.Json;
import ai.dstack.agent.json.JsonException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Upstream's dstack-shim HTTP API (SERVER.md §7.3), answered for this host. */
public final class ShimApi {
  private static final int BODY_LIMIT = 1024 * 1024;
  private final AgentSettings settings;
  private final Tasks tasks;
  private final Consumer<Boolean> shutdown;

  public ShimApi(AgentSettings settings, Tasks tasks, Consumer<Boolean> shutdown) {
    this.settings = settings;
    this.tasks = tasks;
    this.shutdown = shutdown;
  }

  public HttpServer routes(HttpServer server) {
    return server
        .route("GET", "/api/healthcheck", r -> healthcheck())
        .route("POST", "/api/shutdown", this::shutdown)
        .route("GET", "/api/instance/health", r -> instanceHealth())
        .route("GET", "/api/components", r -> components())
        .route("POST", "/api/components/install", this::install)
        .route("GET", "/api/tasks", r -> list())
        .route("GET", "/api/tasks/{id}", r -> info(r.pathParam("id")))
        .route("POST", "/api/tasks", this::submit)
        .route("POST", "/api/tasks/{id}/terminate", this::terminate)
        .route("POST", "/api/tasks/{id}/remove", this::remove)
        .route("GET", "/metrics/tasks/{id}", this::taskMetrics);
  }

  private HttpResponse healthcheck() {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("service", "dstack-shim");
    body.put("version", settings.version());
    return HttpResponse.json(body);
  }

  private HttpResponse shutdown(HttpRequest request) throws IOException {
    boolean force = Json.bool(body(request), "force", false);
    shutdown.accept(force);
    return HttpResponse.empty();
  }

  private HttpResponse instanceHealth() {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("dcgm", null);
    return HttpResponse.json(body);
  }

  private HttpResponse components() {
    List<Map<String, Object>> components = new ArrayList<>();
    for (String name : List.of("dstack-runner", "dstack-shim")) {
      Map<String, Object> component = new LinkedHashMap<>();
      component.put("name", name);
      component.put("version", settings.version());
      component.put("status", "installed");
      components.add(component);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("components", components);
    return HttpResponse.json(body);
  }

  private HttpResponse install(HttpRequest request) throws IOException {
    Map<String, Object> body = body(request);
    String name = Json.string(body, "name");
    if (name == null || name.isEmpty()) {
      throw new HttpException(400, "empty name");
    }
    if (!name.equals("dstack-runner") && !name.equals("dstack-shim")) {
      throw new HttpException(400, "unknown component");
    }
    String url = Json.string(body, "url");
    if (url == null || url.isEmpty()) {
      throw new HttpException(400, "empty url");
    }
    // one jar is both components; the server replaces it over SSH, not from a download URL
    throw new HttpException(
        400, "dstack-agent " + settings.version() + " is installed by the server over SSH");
  }

  private HttpResponse list() {
    List<Map<String, Object>> items = new ArrayList<>();
    for (Task task : tasks.list()) {
      Map<String, Object> item = new LinkedHashMap<>();
      item.put("id", task.id);
      item.put("status", task.status);
      items.add(item);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("tasks", items);
    return HttpResponse.json(body);
  }

  private HttpResponse info(String id) {
    Task task = tasks.get(id);
    if (task == null) {
      throw new HttpException(404, "task " + id + " not found");
    }
    return HttpResponse.json(task.info());
  }

  private HttpResponse submit(HttpRequest request) throws IOException {
    return HttpResponse.json(tasks.submit(body(request)).info());
  }

  private HttpResponse terminate(HttpRequest request) throws IOException {
    Map<String, Object> body = body(request);
    long timeout = Json.number(body, "timeout", 10);
    Task task =
        tasks.terminate(
            request.pathParam("id"),
            Json.string(body, "termination_reason"),
            Json.string(body, "termination_message"),
            timeout);
    return HttpResponse.json(task.info());
  }

  private HttpResponse remove(HttpRequest request) throws IOException {
    tasks.remove(request.pathParam("id"));
    return HttpResponse.empty();
  }

  private HttpResponse taskMetrics(HttpRequest request) {
    if (tasks.get(request.pathParam("id")) == null) {
      throw new HttpException(404, "Task not found");
    }
    throw new HttpException(404, "DCGM Exporter is not available");
  }

  private static Map<String, Object> body(HttpRequest request) throws IOException {
    String contentType = request.header("content-type");
    if (contentType != null && !contentType.split(";")[0].trim().equals("application/json")) {
      throw new HttpException(415, "Content-Type header is not application/json");
    }
    String text = request.bodyText(BODY_LIMIT);
    if (text.isBlank()) {
      throw new HttpException(400, "Request body must not be empty");
    }
    try {
      return Json.parseObject(text);
    } catch (JsonException e) {
      throw new HttpException(400, "Request body contains badly-formed JSON: " + e.getMessage());
    }
  }
}
