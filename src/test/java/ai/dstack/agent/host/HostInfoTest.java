package ai.dstack.agent.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.dstack.agent.json.Json;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostInfoTest {
  @TempDir Path dir;

  @Test
  void writesUpstreamsHostInfoKeys() {
    HostInfo info =
        new HostInfo(
            "nvidia",
            "NVIDIA A10G",
            23028,
            4,
            List.of("10.0.0.5/24", "fe80::1/64"),
            100_000_000_000L,
            48,
            196_000_000_000L);
    assertEquals(
        "{\"gpu_vendor\":\"nvidia\",\"gpu_name\":\"NVIDIA A10G\",\"gpu_memory\":23028,"
            + "\"gpu_count\":4,\"addresses\":[\"10.0.0.5/24\",\"fe80::1/64\"],"
            + "\"disk_size\":100000000000,\"cpus\":48,\"memory\":196000000000}",
        Json.write(info.toJson()));
  }

  @Test
  void describesThisHostWithTheFirstGpu() throws IOException {
    List<Gpu> gpus =
        List.of(
            new Gpu("nvidia", "NVIDIA H100 80GB HBM3", 81559, "GPU-a"),
            new Gpu("nvidia", "NVIDIA H100 80GB HBM3", 81559, "GPU-b"));
    HostInfo info = HostInfo.collect(dir, gpus);
    assertEquals("nvidia", info.gpuVendor());
    assertEquals("NVIDIA H100 80GB HBM3", info.gpuName());
    assertEquals(81559, info.gpuMemoryMib());
    assertEquals(2, info.gpuCount());
    assertEquals(Runtime.getRuntime().availableProcessors(), info.cpus());
    assertEquals(
        HostInfo.parseMemTotal(Files.readString(Path.of("/proc/meminfo"))), info.memoryBytes());
    assertTrue(info.memoryBytes() > 0);
    // other processes write to the same disk meanwhile
    assertTrue(Math.abs(Files.getFileStore(dir).getUsableSpace() - info.diskSizeBytes()) < 1 << 30);
    assertTrue(info.diskSizeBytes() > 0);
    for (String address : info.addresses()) {
      assertTrue(address.matches("[0-9a-f.:]+/\\d+"), address);
      assertFalse(address.startsWith("127.") || address.startsWith("::1/"), address);
    }
  }

  @Test
  void aHostWithoutGpusSaysNone() throws IOException {
    HostInfo info = HostInfo.collect(dir, List.of());
    assertEquals("none", info.gpuVendor());
    assertEquals("", info.gpuName());
    assertEquals(0, info.gpuCount());
    assertEquals(0, info.gpuMemoryMib());
  }

  @Test
  void formatsAddressesAsGoDoes() throws IOException {
    assertEquals("10.0.0.5/24", HostInfo.format(InetAddress.getByName("10.0.0.5"), 24));
    assertEquals(
        "fe80::42:acff:fe11:2/64",
        HostInfo.format(InetAddress.getByName("fe80:0:0:0:42:acff:fe11:2%1"), 64));
    assertEquals(
        "2001:db8::1:0:0:1/48", HostInfo.format(InetAddress.getByName("2001:db8:0:0:1:0:0:1"), 48));
    assertEquals(
        "2001:db8:0:1:1:1:1:1/64",
        HostInfo.format(InetAddress.getByName("2001:db8:0:1:1:1:1:1"), 64));
    assertEquals("::/0", HostInfo.format(InetAddress.getByName("::"), 0));
    assertEquals("fd00::/8", HostInfo.format(InetAddress.getByName("fd00::"), 8));
  }

  @Test
  void readsMemTotalInBytes() throws IOException {
    assertEquals(
        16_384_256L * 1024,
        HostInfo.parseMemTotal(
            "MemTotal:       16384256 kB\nMemFree:         1234567 kB\nMemAvailable:   9876543 kB\n"));
    assertThrows(IOException.class, () -> HostInfo.parseMemTotal("MemFree: 1 kB\n"));
  }
}
