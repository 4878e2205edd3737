package ai.dstack.agent.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.agent.json.Json;
import ai.dstack.agent.json.JsonException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DockerCommandsTest {
  @TempDir Path dir;

  @Test
  void runsOnTheHostNetworkWithAllGpusEnvAndMounts() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("DSTACK_RUN_NAME", "train");
    env.put("A", "x=y z");
    DockerRunSpec spec =
        new DockerRunSpec(
            "train-0-0",
            "7f3c1e2a",
            "dstackai/base:py3.12-0.7-cuda-12.1",
            "root",
            true,
            -1,
            List.of(),
            0,
            0,
            0,
            "host",
            env,
            "/workflow",
            List.of(
                new DockerRunSpec.Mount("/root/.dstack/tasks/7f3c1e2a", "/dstack"),
                new DockerRunSpec.Mount("/mnt/data", "/data")),
            List.of(10022),
            List.of(),
            List.of("/bin/sh", "-c", "python train.py"));
    assertEquals(
        List.of(
            "docker",
            "run",
            "--name",
            "train-0-0",
            "--label",
            "ai.dstack.task=7f3c1e2a",
            "-t",
            "--network",
            "host",
            "--gpus",
            "all",
            "--privileged",
            "-u",
            "root",
            "-w",
            "/workflow",
            "-e",
            "DSTACK_RUN_NAME",
            "-e",
            "A",
            "-v",
            "/root/.dstack/tasks/7f3c1e2a:/dstack",
            "-v",
            "/mnt/data:/data",
            "dstackai/base:py3.12-0.7-cuda-12.1",
            "/bin/sh",
            "-c",
            "python train.py"),
        DockerCommands.run(spec));
  }

  @Test
  void runsBridgedWithLimitsPublishedPortsAndAnEntrypoint() {
    DockerRunSpec spec =
        new DockerRunSpec(
            "svc",
            "t1",
            "ghcr.io/acme/server:2",
            null,
            false,
            2,
            List.of("GPU-a", "GPU-b"),
            1.5,
            8L << 30,
            1L << 30,
            "bridge",
            Map.of(),
            null,
            List.of(),
            List.of(10999, 8000),
            List.of("/usr/local/bin/dstack-runner", "--log-level", "6"),
            List.of("start"));
    assertEquals(
        List.of(
            "docker",
            "run",
            "--name",
            "svc",
            "--label",
            "ai.dstack.task=t1",
            "-t",
            "--network",
            "bridge",
            "--gpus",
            "\"device=GPU-a,GPU-b\"",
            "--cpus",
            "1.5",
            "--memory",
            "8589934592",
            "--shm-size",
            "1073741824",
            "-p",
            "127.0.0.1::10999",
            "-p",
            "127.0.0.1::8000",
            "--entrypoint",
            "/usr/local/bin/dstack-runner",
            "ghcr.io/acme/server:2",
            "--log-level",
            "6",
            "start"),
        DockerCommands.run(spec));
  }

  @Test
  void aGpuCountWithoutDevicesAndNoGpus() {
    assertEquals(
        List.of(
            "docker",
            "run",
            "--name",
            "n",
            "--label",
            "ai.dstack.task=t",
            "-t",
            "--network",
            "bridge",
            "--gpus",
            "1",
            "--cpus",
            "2",
            "ubuntu"),
        DockerCommands.run(minimal(1, List.of(), 2.0)));
    List<String> none = DockerCommands.run(minimal(0, List.of(), 0));
    assertFalse(none.contains("--gpus"));
    assertFalse(none.contains("--cpus"));
    assertEquals(
        List.of(
            "docker",
            "run",
            "--name",
            "n",
            "--label",
            "ai.dstack.task=t",
            "-t",
            "--network",
            "bridge",
            "ubuntu"),
        none);
  }

  @Test
  void inconsistentSpecsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> minimal(2, List.of("GPU-a"), 0));
    assertThrows(IllegalArgumentException.class, () -> minimal(-2, List.of(), 0));
  }

  @Test
  void registriesAreKeyedAsDockerKeysThem() {
    assertEquals("ghcr.io", DockerCommands.registry("ghcr.io/x/y:1"));
    assertEquals("nvcr.io", DockerCommands.registry("nvcr.io/nvidia/pytorch"));
    assertEquals("https://index.docker.io/v1/", DockerCommands.registry("ubuntu"));
    assertEquals("https://index.docker.io/v1/", DockerCommands.registry("ubuntu:22.04"));
    assertEquals("https://index.docker.io/v1/", DockerCommands.registry("dstackai/base:py3.12"));
    assertEquals(
        "https://index.docker.io/v1/", DockerCommands.registry("docker.io/library/ubuntu"));
    assertEquals("localhost:5000", DockerCommands.registry("localhost:5000/img"));
    assertEquals("localhost", DockerCommands.registry("localhost/img"));
  }

  @Test
  void credentialsGoToAConfigOfTheirOwn() throws IOException {
    String json = DockerCommands.authConfigJson("ghcr.io/x/y:1", "bot", "p:ss");
    String auth = Base64.getEncoder().encodeToString("bot:p:ss".getBytes(StandardCharsets.UTF_8));
    assertEquals("{\"auths\":{\"ghcr.io\":{\"auth\":\"" + auth + "\"}}}", json);
    assertEquals(
        "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"" + auth + "\"}}}",
        DockerCommands.authConfigJson("ubuntu", "bot", "p:ss"));

    Path config = dir.resolve("task/docker");
    DockerCommands.writeAuthConfig(config, "nvcr.io/nvidia/pytorch", "$oauthtoken", "key");
    Map<String, Object> written = Json.parseObject(Files.readString(config.resolve("config.json")));
    String nvcr = Json.string(Json.object(Json.object(written, "auths"), "nvcr.io"), "auth");
    assertEquals(
        "$oauthtoken:key", new String(Base64.getDecoder().decode(nvcr), StandardCharsets.UTF_8));
    assertEquals(
        "rw-------",
        PosixFilePermissions.toString(
            Files.getPosixFilePermissions(config.resolve("config.json"))));
    DockerCommands.writeAuthConfig(config, "localhost:5000/img", "u", "p");
    assertTrue(Files.readString(config.resolve("config.json")).contains("\"localhost:5000\""));

    assertEquals(
        List.of("docker", "--config", config.toString(), "pull", "nvcr.io/nvidia/pytorch"),
        DockerCommands.pull("nvcr.io/nvidia/pytorch", config));
    assertEquals(List.of("docker", "pull", "ubuntu"), DockerCommands.pull("ubuntu"));
  }

  @Test
  void lifecycleCommands() {
    assertEquals(List.of("docker", "stop", "-t", "10", "c"), DockerCommands.stop("c", 10));
    assertEquals(List.of("docker", "kill", "c"), DockerCommands.kill("c"));
    assertEquals(List.of("docker", "rm", "-f", "c"), DockerCommands.remove("c"));
    assertEquals(
        List.of("docker", "inspect", "--format", "{{json .State}}", "c"),
        DockerCommands.inspectState("c"));
    assertEquals(List.of("docker", "port", "c"), DockerCommands.port("c"));
  }

  @Test
  void readsContainerState() {
    ContainerState exited =
        ContainerState.parse(
            "{\"Status\":\"exited\",\"Running\":false,\"Paused\":false,\"Restarting\":false,"
                + "\"OOMKilled\":true,\"Dead\":false,\"Pid\":0,\"ExitCode\":137,\"Error\":\"\","
                + "\"StartedAt\":\"2025-01-02T10:00:00.123456789Z\","
                + "\"FinishedAt\":\"2025-01-02T11:00:00.5Z\"}\n");
    assertEquals(new ContainerState("exited", false, 137, true, ""), exited);
    ContainerState running =
        ContainerState.parse(
            "{\"Status\":\"running\",\"Running\":true,\"OOMKilled\":false,\"Pid\":4242,"
                + "\"ExitCode\":0,\"Error\":\"\"}");
    assertTrue(running.running());
    assertEquals(0, running.exitCode());
    assertThrows(JsonException.class, () -> ContainerState.parse("Error: No such object: c"));
  }

  @Test
  void readsPublishedPorts() {
    String output =
        "10999/tcp -> 127.0.0.1:49153\n"
            + "8000/tcp -> 0.0.0.0:32768\n"
            + "8000/tcp -> [::]:32768\n"
            + "22/tcp -> [::1]:40000\n"
            + "5353/udp -> 127.0.0.1:5353\n"
            + "garbage\n";
    Map<Integer, Integer> expected = new LinkedHashMap<>();
    expected.put(10999, 49153);
    expected.put(8000, 32768);
    expected.put(22, 40000);
    assertEquals(expected, DockerCommands.parsePorts(output));
    assertEquals(Map.of(), DockerCommands.parsePorts(""));
  }

  private static DockerRunSpec minimal(int gpu, List<String> gpuIds, double cpu) {
    return new DockerRunSpec(
        "n", "t", "ubuntu", "", false, gpu, gpuIds, cpu, 0, 0, "bridge", Map.of(), "", List.of(),
        List.of(), List.of(), List.of());
  }
}
