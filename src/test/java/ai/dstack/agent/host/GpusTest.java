package ai.dstack.agent.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GpusTest {
  @TempDir Path root;

  static String sample(String name) throws IOException {
    try (InputStream in = GpusTest.class.getResourceAsStream("/agent/gpu/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void readsEightH100sFromNvidiaSmi() throws IOException {
    List<Gpu> gpus = Gpus.parseNvidiaSmi(sample("nvidia-smi-8xH100.csv"));
    assertEquals(8, gpus.size());
    assertEquals(
        new Gpu(
            "nvidia", "NVIDIA H100 80GB HBM3", 81559, "GPU-6513270e-269e-4d37-b2a7-4de452e6b438"),
        gpus.get(0));
    assertEquals("GPU-d23f0824-128b-4f33-8c5c-7fd0a6a3a450", gpus.get(1).id());
    assertEquals(8, gpus.stream().map(Gpu::id).distinct().count());
    assertTrue(gpus.stream().allMatch(g -> g.memoryMib() == 81559));
  }

  @Test
  void readsOneA10GFromNvidiaSmi() throws IOException {
    assertEquals(
        List.of(
            new Gpu("nvidia", "NVIDIA A10G", 23028, "GPU-0fd630f1-f29d-4da9-953f-48f1a09f76b5")),
        Gpus.parseNvidiaSmi(sample("nvidia-smi-1xA10G.csv")));
  }

  @Test
  void unreportedMemoryIsZeroButTheGpuCounts() {
    assertEquals(
        List.of(new Gpu("nvidia", "NVIDIA GH200 480GB", 0, "GPU-1")),
        Gpus.parseNvidiaSmi("NVIDIA GH200 480GB, [N/A], GPU-1\n"));
  }

  @Test
  void malformedNvidiaSmiOutputGivesNoGpus() {
    assertEquals(List.of(), Gpus.parseNvidiaSmi(""));
    assertEquals(
        List.of(),
        Gpus.parseNvidiaSmi(
            "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver."));
    assertEquals(List.of(), Gpus.parseNvidiaSmi("NVIDIA A10G, 23028 MiB, GPU-1"));
    assertEquals(List.of(), Gpus.parseNvidiaSmi("NVIDIA A10G, 23028, GPU-1\nNVIDIA A10G, 23028"));
  }

  @Test
  void readsRocm6FlatArrayFromAmdSmi() throws IOException {
    List<Gpu> gpus = Gpus.parseAmdSmi(sample("amd-smi-rocm6-8xMI300X.json"));
    assertEquals(8, gpus.size());
    assertEquals(new Gpu("amd", "AMD Instinct MI300X", 196592, "0000:05:00.0"), gpus.get(0));
    assertEquals("0000:e5:00.0", gpus.get(7).id());
  }

  @Test
  void readsRocm7WrappedArrayFromAmdSmi() throws IOException {
    assertEquals(
        List.of(
            new Gpu("amd", "AMD Instinct MI300X", 196592, "0000:05:00.0"),
            new Gpu("amd", "AMD Instinct MI300X", 196592, "0000:26:00.0")),
        Gpus.parseAmdSmi(sample("amd-smi-rocm7-2xMI300X.json")));
  }

  @Test
  void malformedAmdSmiOutputGivesNoGpus() {
    assertEquals(List.of(), Gpus.parseAmdSmi(""));
    assertEquals(List.of(), Gpus.parseAmdSmi("ERROR: no AMD GPUs"));
    assertEquals(List.of(), Gpus.parseAmdSmi("\"text\""));
    assertEquals(List.of(), Gpus.parseAmdSmi("[{\"asic\": {}}]"));
    assertEquals(
        List.of(),
        Gpus.parseAmdSmi(
            "[{\"asic\": {\"market_name\": \"X\"}, \"vram\": {\"size\": {\"value\": \"N/A\"}}}]"));
    assertEquals(List.of(), Gpus.parseAmdSmi("{\"gpu_data\": [1]}"));
  }

  @Test
  void readsGaudiFromHlSmi() {
    assertEquals(
        List.of(new Gpu("intel", "HL-225", 98304, "0"), new Gpu("intel", "HL-225", 98304, "1")),
        Gpus.parseHlSmi("HL-225, 98304, 0\nHL-225, 98304, 1\n"));
  }

  @Test
  void readsNvidiaUsageInBytes() throws IOException {
    List<GpuSample> samples = Gpus.parseNvidiaSmiUsage(sample("nvidia-smi-usage-8xH100.csv"));
    assertEquals(8, samples.size());
    assertEquals(new GpuSample(71234L * 1024 * 1024, 98), samples.get(0));
    assertEquals(new GpuSample(70998L * 1024 * 1024, 100), samples.get(3));
    assertEquals(new GpuSample(0, 0), samples.get(5));
  }

  @Test
  void usageWithoutAReadingCountsZeroAndGarbageGivesNone() {
    // a GPU in MIG mode reports no utilization
    assertEquals(List.of(new GpuSample(1024 * 1024, 0)), Gpus.parseNvidiaSmiUsage("1, [N/A]"));
    assertEquals(List.of(), Gpus.parseNvidiaSmiUsage("No devices were found"));
    assertEquals(List.of(), Gpus.parseNvidiaSmiUsage("1, 2, 3"));
  }

  @Test
  void vendorComesFromDeviceFiles() throws IOException {
    assertEquals("none", Gpus.vendor(root));
    Files.createDirectories(root.resolve("dev"));
    Files.createFile(root.resolve("dev/dxg"));
    assertEquals("none", Gpus.vendor(root));
    Files.createDirectories(root.resolve("usr/lib/wsl/lib"));
    Files.createFile(root.resolve("usr/lib/wsl/lib/nvidia-smi"));
    assertEquals("nvidia", Gpus.vendor(root));
    Files.createDirectories(root.resolve("dev/tenstorrent"));
    assertEquals("tenstorrent", Gpus.vendor(root));
    Files.createDirectories(root.resolve("dev/accel"));
    assertEquals("intel", Gpus.vendor(root));
    Files.createFile(root.resolve("dev/nvidiactl"));
    assertEquals("nvidia", Gpus.vendor(root));
    Files.createFile(root.resolve("dev/kfd"));
    assertEquals("amd", Gpus.vendor(root));
  }

  @Test
  void detectsNvidiaGpusWithNvidiaSmi() throws IOException {
    device("nvidiactl");
    RecordedRunner runner = RecordedRunner.answering(0, sample("nvidia-smi-1xA10G.csv"));
    assertEquals(1, Gpus.detect(runner, root, "/usr/bin").size());
    assertEquals(
        List.of(
            List.of(
                "nvidia-smi",
                "--query-gpu=name,memory.total,uuid",
                "--format=csv,noheader,nounits")),
        runner.calls);
  }

  @Test
  void runsAmdSmiInUpstreamsImageWhenTheHostLacksIt() throws IOException {
    device("kfd");
    RecordedRunner runner = RecordedRunner.answering(0, sample("amd-smi-rocm6-8xMI300X.json"));
    assertEquals(8, Gpus.detect(runner, root, "/usr/bin:/bin").size());
    assertEquals(
        List.of(
            "docker",
            "run",
            "--rm",
            "--device",
            "/dev/kfd",
            "--device",
            "/dev/dri",
            "dstackai/amd-smi:latest",
            "static",
            "--json",
            "--asic",
            "--vram",
            "--bus"),
        runner.calls.get(0));
  }

  @Test
  void runsTheHostsAmdSmiWhenOnPath() throws IOException {
    device("kfd");
    Path bin = Files.createDirectories(root.resolve("opt/rocm/bin"));
    Files.createFile(
        bin.resolve("amd-smi"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    RecordedRunner runner = RecordedRunner.answering(0, sample("amd-smi-rocm7-2xMI300X.json"));
    assertEquals(2, Gpus.detect(runner, root, "/usr/bin:/opt/rocm/bin").size());
    assertEquals(
        List.of("amd-smi", "static", "--json", "--asic", "--vram", "--bus"), runner.calls.get(0));
  }

  @Test
  void aFailingToolGivesNoGpus() throws IOException {
    device("nvidiactl");
    assertEquals(List.of(), Gpus.detect(RecordedRunner.answering(9, "partial"), root, ""));
    assertEquals(
        List.of(), Gpus.detect(RecordedRunner.failing(new IOException("no such file")), root, ""));
  }

  @Test
  void noDeviceFilesRunNoTool() {
    RecordedRunner runner = RecordedRunner.answering(0, "");
    assertEquals(List.of(), Gpus.detect(runner, root, "/usr/bin"));
    assertEquals(List.of(), runner.calls);
  }

  @Test
  void usageIsAskedOnlyOfNvidiaAndIntelTools() throws IOException {
    RecordedRunner runner = RecordedRunner.answering(0, "10, 20\n");
    assertEquals(List.of(), Gpus.usage(runner, "none"));
    assertEquals(List.of(), Gpus.usage(runner, "amd"));
    assertEquals(List.of(), runner.calls);
    assertEquals(List.of(new GpuSample(10L * 1024 * 1024, 20)), Gpus.usage(runner, "nvidia"));
    assertEquals(
        List.of(
            "nvidia-smi",
            "--query-gpu=memory.used,utilization.gpu",
            "--format=csv,noheader,nounits"),
        runner.calls.get(0));
    assertEquals(List.of(), Gpus.usage(RecordedRunner.answering(6, ""), "nvidia"));
  }

  private void device(String name) throws IOException {
    Files.createDirectories(root.resolve("dev"));
    Files.createFile(root.resolve("dev").resolve(name));
  }
}
