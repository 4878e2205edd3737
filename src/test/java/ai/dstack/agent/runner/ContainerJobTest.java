package ai.dstack.agent.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.agent.json.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Docker mode as far as it can go without a daemon: the commands the agent would issue. */
class ContainerJobTest {
  @TempDir Path tmp;

  private static JobSpec spec(String image, String workingDir) {
    Map<String, Object> configuration = new LinkedHashMap<>();
    configuration.put("type", "task");
    configuration.put("image", image);
    configuration.put("commands", List.of("python train.py"));
    Map<String, Object> jobSpec = new LinkedHashMap<>();
    jobSpec.put("commands", List.of("/bin/sh", "-i", "-c", "python train.py"));
    jobSpec.put("env", Map.of("EPOCHS", "3"));
    jobSpec.put("working_dir", workingDir);
    jobSpec.put("repo_dir", "/workflow");
    Map<String, Object> body = new LinkedHashMap<>();
    body.put(
        "run",
        Map.of(
            "id", "r1", "run_spec", Map.of("run_name", "train", "configuration", configuration)));
    body.put("job_spec", jobSpec);
    body.put("secrets", Map.of("HF_TOKEN", "hf_secret"));
    return JobSpec.parse(body);
  }

  @Test
  void runsTheServersContainerCommandWithTheJobDirectoryAsWorkflowAndSecretsOutOfTheArgv()
      throws Exception {
    Map<String, Object> task =
        Json.parseObject(
            "{\"gpu\":-1,\"cpu\":2.5,\"memory\":1073741824,\"shm_size\":0,\"network_mode\":\"bridge\","
                + "\"privileged\":false,\"registry_username\":\"\",\"registry_password\":\"\"}");
    Path jobDir = tmp.resolve("tasks/t1");
    ContainerJob job =
        ContainerJob.prepare(
            spec("pytorch/pytorch:2.4", null), task, "t1", jobDir, jobDir.resolve("workdir"));
    assertEquals("dstack-t1", job.name());
    assertEquals(List.of("docker", "pull", "pytorch/pytorch:2.4"), job.pull());
    List<String> run = job.run();
    assertEquals(List.of("docker", "run", "--name", "dstack-t1"), run.subList(0, 4));
    assertTrue(String.join(" ", run).contains("--network bridge"));
    assertTrue(String.join(" ", run).contains("--cpus 2.5 --memory 1073741824"));
    assertFalse(run.contains("--gpus"), "a host without GPUs gets no --gpus flag");
    assertTrue(String.join(" ", run).contains("-w /workflow"));
    assertTrue(run.contains(jobDir.resolve("workdir") + ":/workflow"));
    assertTrue(run.contains("HF_TOKEN") && run.contains("EPOCHS"));
    assertFalse(String.join(" ", run).contains("hf_secret"), "values travel in the environment");
    assertEquals("hf_secret", job.clientEnvironment().get("HF_TOKEN"));
    assertEquals("/workflow", job.clientEnvironment().get("DSTACK_WORKING_DIR"));
    assertEquals(
        List.of("pytorch/pytorch:2.4", "/bin/sh", "-i", "-c", "python train.py"),
        run.subList(run.size() - 5, run.size()));

    String script = LaunchScript.forContainer(job.pull(), job.run(), jobDir);
    assertTrue(
        script.contains("'docker' 'pull' 'pytorch/pytorch:2.4' >/dev/null && 'docker' 'run'"),
        script);
    assertTrue(script.contains(jobDir.resolve("exit_code").toString()), script);
  }

  @Test
  void privateRegistryCredentialsGoToATaskOwnDockerConfig() throws Exception {
    Map<String, Object> task =
        Json.parseObject(
            "{\"registry_username\":\"bot\",\"registry_password\":\"pw\",\"network_mode\":\"host\"}");
    Path jobDir = tmp.resolve("tasks/t2");
    ContainerJob job =
        ContainerJob.prepare(
            spec("ghcr.io/acme/app:1", "/app"), task, "t2", jobDir, jobDir.resolve("workdir"));
    Path config = jobDir.resolve("docker-config");
    assertEquals(
        List.of("docker", "--config", config.toString(), "pull", "ghcr.io/acme/app:1"), job.pull());
    assertTrue(Files.readString(config.resolve("config.json")).contains("\"ghcr.io\""));
    assertTrue(
        String.join(" ", job.run()).contains("-w /app --network")
            || String.join(" ", job.run()).contains("-w /app"));
  }
}
