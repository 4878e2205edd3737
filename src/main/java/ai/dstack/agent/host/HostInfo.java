package ai.dstack.agent.host;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the server learns of a host it is given (an SSH fleet instance), as upstream's shim writes
 * it to {@code host_info.json}.
 *
 * @param gpuVendor the vendor of the first GPU, or {@code none}
 * @param gpuMemoryMib the first GPU's memory
 * @param addresses the non-loopback interface addresses, {@code ip/prefix}
 * @param diskSizeBytes the space available to unprivileged users on the agent's data disk
 */
public record HostInfo(
    String gpuVendor,
    String gpuName,
    int gpuMemoryMib,
    int gpuCount,
    List<String> addresses,
    long diskSizeBytes,
    int cpus,
    long memoryBytes) {
  public HostInfo {
    addresses = List.copyOf(addresses);
  }

  /** Describes this host, its disk by {@code diskPath}, its accelerators by {@code gpus}. */
  public static HostInfo collect(Path diskPath, List<Gpu> gpus) throws IOException {
    Gpu first = gpus.isEmpty() ? null : gpus.get(0);
    return new HostInfo(
        first == null ? Gpus.NONE : first.vendor(),
        first == null ? "" : first.name(),
        first == null ? 0 : first.memoryMib(),
        gpus.size(),
        interfaceAddresses(),
        Files.getFileStore(diskPath).getUsableSpace(),
        Runtime.getRuntime().availableProcessors(),
        parseMemTotal(Files.readString(Path.of("/proc/meminfo"))));
  }

  public Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("gpu_vendor", gpuVendor);
    json.put("gpu_name", gpuName);
    json.put("gpu_memory", gpuMemoryMib);
    json.put("gpu_count", gpuCount);
    json.put("addresses", addresses);
    json.put("disk_size", diskSizeBytes);
    json.put("cpus", cpus);
    json.put("memory", memoryBytes);
    return json;
  }

  /** The MemTotal line of {@code /proc/meminfo}, in bytes. */
  public static long parseMemTotal(String meminfo) throws IOException {
    for (String line : meminfo.split("\n")) {
      String[] fields = line.trim().split("\\s+");
      if (fields.length == 3 && fields[0].equals("MemTotal:") && fields[2].equals("kB")) {
        try {
          return Long.parseLong(fields[1]) * 1024;
        } catch (NumberFormatException e) {
          break;
        }
      }
    }
    throw new IOException("no MemTotal in /proc/meminfo");
  }

  /**
   * Every non-loopback interface address, by interface index and IPv4 before IPv6 within an
   * interface, as Go lists them.
   */
  public static List<String> interfaceAddresses() throws IOException {
    List<NetworkInterface> interfaces =
        new ArrayList<>(NetworkInterface.networkInterfaces().toList());
    interfaces.sort(Comparator.comparingInt(NetworkInterface::getIndex));
    List<String> addresses = new ArrayList<>();
    for (NetworkInterface network : interfaces) {
      List<InterfaceAddress> own = new ArrayList<>(network.getInterfaceAddresses());
      own.sort(Comparator.comparing(a -> !(a.getAddress() instanceof Inet4Address)));
      for (InterfaceAddress address : own) {
        if (address.getAddress() != null && !address.getAddress().isLoopbackAddress()) {
          addresses.add(format(address.getAddress(), address.getNetworkPrefixLength()));
        }
      }
    }
    return addresses;
  }

  /**
   * {@code ip/prefix} as Go's {@code IPNet.String()} writes it: IPv6 in its shortest form (RFC
   * 5952) and without a zone.
   */
  static String format(InetAddress ip, int prefix) {
    return (ip instanceof Inet4Address ? ip.getHostAddress() : ipv6(ip.getAddress()))
        + "/"
        + prefix;
  }

  private static String ipv6(byte[] bytes) {
    int[] groups = new int[8];
    for (int i = 0; i < 8; i++) {
      groups[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
    }
    // the longest run of two or more zero groups (the first of equals) becomes "::"
    int bestStart = -1;
    int bestLength = 1;
    for (int i = 0; i < 8; ) {
      int j = i;
      while (j < 8 && groups[j] == 0) {
        j++;
      }
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j == i ? i + 1 : j;
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        out.append("::");
        i += bestLength - 1;
        continue;
      }
      if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
        out.append(':');
      }
      out.append(Integer.toHexString(groups[i]));
    }
    return out.toString();
  }
}
