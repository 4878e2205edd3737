package ai.dstack.server.it;

import static ai.dstack.server.it.Expect.accessDenied;
import static ai.dstack.server.it.Expect.body;
import static ai.dstack.server.it.Expect.ok;
import static ai.dstack.server.it.Expect.okArray;
import static ai.dstack.server.it.Expect.okNull;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs through the API without hosts: plans echo the CLI's spec with upstream's effective defaults;
 * a project without fleets fails runs for "no fleets"; lists page as upstream's; the events record
 * it all.
 */
@ExtendWith(SharedServer.class)
class RunsApiIT {
  private static JsonObject recordedSpec(String name) {
    JsonObject recorded =
        Traces.load("apply-task-yd.jsonl").stream()
            .filter(e -> e.path().endsWith("/runs/get_plan"))
            .map(e -> Expect.parse(e.requestBody()).asJsonObject())
            .findFirst()
            .orElseThrow()
            .getJsonObject("run_spec");
    return Json.createObjectBuilder(recorded)
        .add("run_name", name)
        .add(
            "configuration",
            Json.createObjectBuilder(recorded.getJsonObject("configuration")).add("name", name))
        .build();
  }

  private static String newProject(Api api) {
    String project = Api.uniqueName("runs");
    ok(api.createProject(api.adminToken(), project));
    okNull(
        api.post(
            "/api/project/" + project + "/repos/init",
            "{\"repo_id\":\"none\",\"repo_info\":{\"repo_type\":\"virtual\"},\"repo_creds\":null}"));
    return project;
  }

  private static JsonObject apply(Api api, String project, JsonObject spec) {
    JsonObject plan =
        ok(api.post("/api/project/" + project + "/runs/get_plan", "{\"run_spec\":" + spec + "}"));
    return ok(
        api.post(
            "/api/project/" + project + "/runs/apply",
            "{\"plan\":{\"run_spec\":"
                + plan.get("run_spec")
                + ",\"current_resource\":"
                + plan.get("current_resource")
                + "},\"force\":false}"));
  }

  private static JsonObject awaitFinished(Api api, String project, String name)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    JsonObject run = null;
    while (System.nanoTime() < deadline) {
      run = ok(api.post("/api/project/" + project + "/runs/get", body("run_name", name)));
      if (List.of("done", "failed", "terminated").contains(run.getString("status"))) {
        return run;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("run did not finish: " + run);
  }

  @Test
  void aPlanEchoesTheSpecAndShowsTheEffectiveOne(Api api) {
    String project = newProject(api);
    JsonObject spec = recordedSpec("echo-plan");
    JsonObject plan =
        ok(api.post("/api/project/" + project + "/runs/get_plan", "{\"run_spec\":" + spec + "}"));
    JsonObject echoed = plan.getJsonObject("run_spec");
    assertEquals(JsonValue.NULL, echoed.get("ssh_key_pub"), "the echo keeps the client's values");
    assertEquals(JsonValue.NULL, echoed.getJsonObject("configuration").get("priority"));
    assertEquals(
        false, echoed.getJsonObject("configuration").getBoolean("dstack"), "defaults appear");
    JsonObject effective = plan.getJsonObject("effective_run_spec");
    assertEquals(0, effective.getJsonObject("configuration").getInt("priority"));
    assertEquals(
        "nvidia",
        effective
            .getJsonObject("configuration")
            .getJsonObject("resources")
            .getJsonObject("gpu")
            .getString("vendor"));
    JsonObject me = ok(api.post("/api/users/get_my_user", ""));
    assertEquals(me.getString("ssh_public_key"), effective.getString("ssh_key_pub"));
    JsonObject jobPlan = plan.getJsonArray("job_plans").getJsonObject(0);
    assertEquals("echo-plan-0-0", jobPlan.getJsonObject("job_spec").getString("job_name"));
    assertTrue(
        jobPlan
            .getJsonObject("job_spec")
            .getJsonArray("commands")
            .getString(3)
            .endsWith("&& echo hello"));
    assertEquals(0, jobPlan.getJsonArray("offers").size());
    assertEquals("create", plan.getString("action"));
    assertEquals(JsonValue.NULL, plan.get("current_resource"));
  }

  @Test
  void withoutFleetsARunFailsForNoFleetsAndIsRecordedInEvents(Api api) throws Exception {
    String project = newProject(api);
    JsonObject submitted = apply(api, project, recordedSpec("no-fleet-run"));
    assertEquals("submitted", submitted.getString("status"));
    assertEquals("submitted", submitted.getJsonObject("latest_job_submission").getString("status"));
    JsonObject failed = awaitFinished(api, project, "no-fleet-run");
    assertEquals("failed", failed.getString("status"));
    assertEquals("job_failed", failed.getString("termination_reason"));
    assertNull(failed.get("error") == JsonValue.NULL ? null : failed.getString("error"));
    JsonObject job = failed.getJsonObject("latest_job_submission");
    assertEquals("failed", job.getString("status"));
    assertEquals("no fleets", job.getString("status_message"));
    assertEquals("failed_to_start_due_to_no_capacity", job.getString("termination_reason"));
    assertTrue(job.getString("termination_reason_message").startsWith("No matching fleet found."));

    JsonObject projectInfo = ok(api.post("/api/projects/" + project + "/get", ""));
    JsonArray events =
        okArray(
            api.post(
                "/api/events/list",
                "{\"within_projects\":[\"" + projectInfo.getString("project_id") + "\"]}"));
    List<String> messages =
        events.stream()
            .map(e -> e.asJsonObject().getString("message"))
            .collect(Collectors.toList());
    assertTrue(messages.contains("Run submitted. Status: SUBMITTED"), messages.toString());
    assertTrue(
        messages.contains("Job created on run submission. Status: SUBMITTED"), messages.toString());
    assertTrue(
        messages.stream()
            .anyMatch(
                m ->
                    m.startsWith(
                        "Job status changed SUBMITTED -> TERMINATING. Termination reason:"
                            + " FAILED_TO_START_DUE_TO_NO_CAPACITY (No matching fleet found")),
        messages.toString());
    assertTrue(
        messages.contains(
            "Run status changed SUBMITTED -> TERMINATING. Termination reason: JOB_FAILED"),
        messages.toString());
    assertTrue(messages.contains("Run status changed TERMINATING -> FAILED"), messages.toString());

    JsonObject replan =
        ok(
            api.post(
                "/api/project/" + project + "/runs/get_plan",
                "{\"run_spec\":" + recordedSpec("no-fleet-run") + "}"));
    assertEquals("create", replan.getString("action"), "a finished run is replaced");
    assertEquals(failed.getString("id"), replan.getJsonObject("current_resource").getString("id"));
    JsonObject second = apply(api, project, recordedSpec("no-fleet-run"));
    JsonArray all =
        okArray(
            api.post(
                "/api/runs/list", "{\"project_name\":\"" + project + "\",\"only_active\":false}"));
    assertEquals(2, all.size());
    assertEquals(second.getString("id"), all.getJsonObject(0).getString("id"), "newest first");
    assertTrue(all.getJsonObject(1).getBoolean("deleted"), "the replaced run is listed as deleted");
    awaitFinished(api, project, "no-fleet-run");

    okNull(
        api.post(
            "/api/project/" + project + "/runs/delete",
            body("runs_names", List.of("no-fleet-run"))));
    Expect.clientError(
        api.post("/api/project/" + project + "/runs/get", body("run_name", "no-fleet-run")),
        "resource_not_exists",
        "Run not found");
    JsonObject byId =
        ok(api.post("/api/project/" + project + "/runs/get", body("id", second.getString("id"))));
    assertTrue(byId.getBoolean("deleted"), "by id, a deleted run is still found");
  }

  @Test
  void runsListPagesBySubmissionTimeAndLimitsSubmissions(Api api) throws Exception {
    String project = newProject(api);
    for (String name : List.of("page-a", "page-b", "page-c")) {
      apply(api, project, recordedSpec(name));
    }
    JsonArray first =
        okArray(
            api.post(
                "/api/runs/list",
                "{\"project_name\":\"" + project + "\",\"limit\":2,\"job_submissions_limit\":0}"));
    assertEquals(
        List.of("page-c", "page-b"),
        first.stream()
            .map(r -> r.asJsonObject().getJsonObject("run_spec").getString("run_name"))
            .toList());
    JsonObject last = first.getJsonObject(1);
    assertEquals(
        0, last.getJsonArray("jobs").getJsonObject(0).getJsonArray("job_submissions").size());
    assertEquals(
        "page-b-0-0",
        last.getJsonArray("jobs").getJsonObject(0).getJsonObject("job_spec").getString("job_name"));
    JsonArray next =
        okArray(
            api.post(
                "/api/runs/list",
                "{\"project_name\":\""
                    + project
                    + "\",\"limit\":2,\"prev_submitted_at\":\""
                    + last.getString("submitted_at")
                    + "\",\"prev_run_id\":\""
                    + last.getString("id")
                    + "\"}"));
    assertEquals(1, next.size());
    assertEquals("page-a", next.getJsonObject(0).getJsonObject("run_spec").getString("run_name"));
    JsonArray noJobs =
        okArray(
            api.post(
                "/api/runs/list",
                "{\"project_name\":\"" + project + "\",\"include_jobs\":false,\"limit\":1}"));
    assertEquals(0, noJobs.getJsonObject(0).getJsonArray("jobs").size());
    assertEquals(
        0,
        okArray(api.post("/api/runs/list", "{\"repo_id\":\"none\"}")).size(),
        "repo_id without a project lists nothing");
    assertEquals(
        0, okArray(api.post("/api/runs/list", "{\"project_name\":\"no-such-project-x\"}")).size());
    Expect.clientError(
        api.post("/api/runs/list", "{\"username\":\"nobody-here\"}"),
        "resource_not_exists",
        "User not found");
    var badLimit = api.post("/api/runs/list", "{\"limit\":101}");
    assertEquals(422, badLimit.status());
  }

  /** The recorded answer of {@code path} in a trace file. */
  private static JsonValue recorded(String file, String pathSuffix) {
    return Traces.load(file).stream()
        .filter(e -> e.path().endsWith(pathSuffix))
        .findFirst()
        .orElseThrow()
        .responseBody();
  }

  @Test
  void plansAndFinishedRunsHaveTheRecordedShapes(Api api) throws Exception {
    String project = newProject(api);
    String offerRequest =
        Traces.load("offer.jsonl").stream()
            .filter(e -> e.path().endsWith("/runs/get_plan"))
            .findFirst()
            .orElseThrow()
            .requestBody();
    JsonShape.assertSameShape(
        recorded("offer.jsonl", "/runs/get_plan"),
        ok(api.post("/api/project/" + project + "/runs/get_plan", offerRequest)));

    apply(api, project, recordedSpec("hello-task"));
    JsonObject failed = awaitFinished(api, project, "hello-task");
    // stop.jsonl and ps-after-stop.jsonl recorded this very run, failed for "no fleets"
    JsonShape.assertSameShape(recorded("stop.jsonl", "/runs/get"), failed);
    JsonArray listed =
        okArray(
            api.post(
                "/api/runs/list",
                "{\"project_name\":\""
                    + project
                    + "\",\"only_active\":false,\"include_jobs\":true,"
                    + "\"job_submissions_limit\":1,\"limit\":100}"));
    JsonShape.assertSameShape(recorded("ps-after-stop.jsonl", "/api/runs/list"), listed);
    JsonShape.assertIdsAndDatetimes(listed);
  }

  @Test
  void gpusListAndRunsNeedAMember(Api api) {
    String project = newProject(api);
    JsonObject gpus =
        ok(
            api.post(
                "/api/project/" + project + "/gpus/list",
                "{\"run_spec\":" + recordedSpec("gpu-offer") + ",\"group_by\":[\"backend\"]}"));
    assertEquals(0, gpus.getJsonArray("gpus").size());
    String outsider = api.createUser(Api.uniqueName("outsider"), "user");
    accessDenied(
        api.post("/api/project/" + project + "/runs/get", outsider, body("run_name", "anything")));
    assertEquals(
        0,
        okArray(api.post("/api/runs/list", outsider, "{\"project_name\":\"" + project + "\"}"))
            .size());
  }
}
