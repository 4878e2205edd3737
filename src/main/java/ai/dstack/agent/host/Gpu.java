package ai.dstack.agent.host;

/**
 * One accelerator of this host.
 *
 * @param vendor {@code nvidia}, {@code amd}, {@code intel} or {@code tenstorrent}, as upstream
 *     names them
 * @param memoryMib its memory; 0 when the tool does not report it
 * @param id what identifies the device to the container runtime: the UUID for NVIDIA ({@code
 *     GPU-…}), the PCI bus address for AMD (its render node is found from that), the accelerator
 *     index for Intel Gaudi
 */
public record Gpu(String vendor, String name, int memoryMib, String id) {}
