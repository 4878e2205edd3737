package ai.dstack.agent.host;

import ai.dstack.agent.json.Json;
import ai.dstack.agent.json.JsonException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.logging.Logger;

/** Finds this host's accelerators and their usage with the vendors' command-line tools. */
public final class Gpus {
  public static final String NVIDIA = "nvidia";
  public static final String AMD = "amd";
  public static final String INTEL = "intel";
  public static final String TENSTORRENT = "tenstorrent";
  public static final String NONE = "none";

  private static final Logger LOG = Logger.getLogger(Gpus.class.getName());
  private static final Duration SMI_TIMEOUT = Duration.ofSeconds(30);
  // the containerised amd-smi may need its image pulled first
  private static final Duration AMD_SMI_IMAGE_TIMEOUT = Duration.ofMinutes(2);
  private static final List<String> AMD_SMI_ARGS =
      List.of("static", "--json", "--asic", "--vram", "--bus");
  private static final String AMD_SMI_IMAGE = "dstackai/amd-smi:latest";
  // nvidia-smi prints this for a value the device does not report
  private static final String NOT_AVAILABLE = "[N/A]";

  private Gpus() {}

  /** The host's accelerators, or an empty list when there are none or the tool fails. */
  public static List<Gpu> detect(CommandRunner runner) {
    return detect(runner, Path.of("/"), System.getenv().getOrDefault("PATH", ""));
  }

  /**
   * As {@link #detect(CommandRunner)}, with device files and PATH directories looked up under
   * {@code root}.
   */
  public static List<Gpu> detect(CommandRunner runner, Path root, String searchPath) {
    switch (vendor(root)) {
      case NVIDIA:
        return query(
            runner,
            List.of(
                "nvidia-smi",
                "--query-gpu=name,memory.total,uuid",
                "--format=csv,noheader,nounits"),
            SMI_TIMEOUT,
            Gpus::parseNvidiaSmi);
      case AMD:
        return amd(runner, root, searchPath);
      case INTEL:
        return query(
            runner,
            List.of(
                "hl-smi", "--query-aip=name,memory.total,index", "--format=csv,noheader,nounits"),
            SMI_TIMEOUT,
            Gpus::parseHlSmi);
      case TENSTORRENT:
        LOG.warning("Tenstorrent accelerators are present but not supported: reporting none");
        return List.of();
      default:
        return List.of();
    }
  }

  private static List<Gpu> amd(CommandRunner runner, Path root, String searchPath) {
    if (onPath(root, searchPath, "amd-smi")) {
      List<String> argv = new ArrayList<>(List.of("amd-smi"));
      argv.addAll(AMD_SMI_ARGS);
      return query(runner, argv, SMI_TIMEOUT, Gpus::parseAmdSmi);
    }
    // the host has the driver but not the tool: run upstream's image of it
    List<String> argv =
        new ArrayList<>(
            List.of(
                "docker",
                "run",
                "--rm",
                "--device",
                "/dev/kfd",
                "--device",
                "/dev/dri",
                AMD_SMI_IMAGE));
    argv.addAll(AMD_SMI_ARGS);
    return query(runner, argv, AMD_SMI_IMAGE_TIMEOUT, Gpus::parseAmdSmi);
  }

  /** The accelerator vendor, told by its driver's device files as upstream does, or none. */
  public static String vendor(Path root) {
    if (Files.exists(under(root, "/dev/kfd"))) {
      return AMD;
    }
    if (Files.exists(under(root, "/dev/nvidiactl"))) {
      return NVIDIA;
    }
    if (Files.exists(under(root, "/dev/accel"))) {
      return INTEL;
    }
    if (Files.exists(under(root, "/dev/tenstorrent"))) {
      return TENSTORRENT;
    }
    // WSL2 exposes GPUs through /dev/dxg; only NVIDIA's are usable there
    if (Files.exists(under(root, "/dev/dxg"))
        && Files.exists(under(root, "/usr/lib/wsl/lib/nvidia-smi"))) {
      return NVIDIA;
    }
    return NONE;
  }

  /** Parses {@code nvidia-smi --query-gpu=name,memory.total,uuid --format=csv,noheader,nounits}. */
  public static List<Gpu> parseNvidiaSmi(String csv) {
    return parseSmiCsv(csv, NVIDIA);
  }

  /** Parses {@code hl-smi --query-aip=name,memory.total,index --format=csv,noheader,nounits}. */
  public static List<Gpu> parseHlSmi(String csv) {
    return parseSmiCsv(csv, INTEL);
  }

  /**
   * Parses {@code amd-smi static --json --asic --vram --bus}: a bare array (ROCm 6) or one wrapped
   * as {@code {"gpu_data": [...]}} (ROCm 7).
   */
  public static List<Gpu> parseAmdSmi(String json) {
    try {
      Object parsed = Json.parse(json);
      List<?> devices;
      if (parsed instanceof List<?> list) {
        devices = list;
      } else if (parsed instanceof Map<?, ?>) {
        devices = Json.array(asObject(parsed), "gpu_data");
      } else {
        throw new JsonException("an array or an object is expected");
      }
      List<Gpu> gpus = new ArrayList<>();
      for (Object device : devices) {
        Map<String, Object> gpu = asObject(device);
        String name = Json.string(Json.object(gpu, "asic"), "market_name");
        if (name == null) {
          throw new JsonException("asic.market_name is missing");
        }
        Map<String, Object> size = Json.object(Json.object(gpu, "vram"), "size");
        String bdf = Json.string(Json.object(gpu, "bus"), "bdf");
        gpus.add(
            new Gpu(
                AMD,
                name,
                // amd-smi labels the value MB, but it is MiB
                Math.toIntExact(Json.number(size, "value", 0)),
                bdf == null ? "" : bdf));
      }
      return gpus;
    } catch (JsonException | ArithmeticException e) {
      LOG.warning("unreadable amd-smi output: " + e.getMessage());
      return List.of();
    }
  }

  /**
   * Per-GPU usage for the vendors whose tool reports it (NVIDIA, Intel Gaudi); an empty list for
   * others or when the tool fails.
   */
  public static List<GpuSample> usage(CommandRunner runner, String vendor) {
    switch (vendor) {
      case NVIDIA:
        return query(
            runner,
            List.of(
                "nvidia-smi",
                "--query-gpu=memory.used,utilization.gpu",
                "--format=csv,noheader,nounits"),
            SMI_TIMEOUT,
            Gpus::parseNvidiaSmiUsage);
      case INTEL:
        return query(
            runner,
            List.of(
                "hl-smi",
                "--query-aip=memory.used,utilization.aip",
                "--format=csv,noheader,nounits"),
            SMI_TIMEOUT,
            Gpus::parseNvidiaSmiUsage);
      default:
        return List.of();
    }
  }

  /**
   * Parses {@code nvidia-smi --query-gpu=memory.used,utilization.gpu --format=csv,noheader,nounits}
   * (also hl-smi's equivalent); memory MiB become bytes.
   */
  public static List<GpuSample> parseNvidiaSmiUsage(String csv) {
    List<GpuSample> samples = new ArrayList<>();
    for (String line : csv.strip().split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      String[] fields = line.split(",");
      Long memoryMib = fields.length == 2 ? smiNumber(fields[0]) : null;
      Long util = fields.length == 2 ? smiNumber(fields[1].strip().replaceFirst("%$", "")) : null;
      if (memoryMib == null || util == null) {
        LOG.warning("unreadable GPU usage line: " + line);
        return List.of();
      }
      samples.add(new GpuSample(memoryMib * 1024 * 1024, util));
    }
    return samples;
  }

  private static List<Gpu> parseSmiCsv(String csv, String vendor) {
    List<Gpu> gpus = new ArrayList<>();
    for (String line : csv.strip().split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      String[] fields = line.split(",");
      Long memoryMib = fields.length == 3 ? smiNumber(fields[1]) : null;
      if (memoryMib == null || fields[0].isBlank() || memoryMib > Integer.MAX_VALUE) {
        LOG.warning("unreadable " + vendor + " GPU line: " + line);
        return List.of();
      }
      gpus.add(new Gpu(vendor, fields[0].strip(), memoryMib.intValue(), fields[2].strip()));
    }
    return gpus;
  }

  /** A non-negative number, 0 for the not-available marker, or null when it is neither. */
  private static Long smiNumber(String field) {
    String value = field.strip();
    if (value.equals(NOT_AVAILABLE)) {
      return 0L;
    }
    if (value.isEmpty() || !value.chars().allMatch(Character::isDigit) || value.length() > 18) {
      return null;
    }
    return Long.parseLong(value);
  }

  private static <T> List<T> query(
      CommandRunner runner, List<String> argv, Duration timeout, Function<String, List<T>> parser) {
    try {
      CommandRunner.Result result = runner.run(argv, timeout);
      if (!result.ok()) {
        LOG.warning(
            argv.get(0) + " exited with " + result.exitCode() + ": " + result.stderr().strip());
        return List.of();
      }
      return parser.apply(result.stdout());
    } catch (IOException e) {
      LOG.warning(argv.get(0) + " failed: " + e.getMessage());
      return List.of();
    }
  }

  private static boolean onPath(Path root, String searchPath, String tool) {
    for (String dir : searchPath.split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(under(root, dir).resolve(tool))) {
        return true;
      }
    }
    return false;
  }

  private static Path under(Path root, String absolute) {
    return root.resolve(absolute.replaceFirst("^/+", ""));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asObject(Object value) {
    if (value instanceof Map<?, ?>) {
      return (Map<String, Object>) value;
    }
    throw new JsonException("an object is expected");
  }
}
