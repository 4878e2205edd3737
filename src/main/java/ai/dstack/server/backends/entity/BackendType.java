package ai.dstack.server.backends.entity;

import java.util.Locale;

/** Upstream's {@code BackendType}, in its declaration order (422 messages list them so). */
public enum BackendType {
  AMDDEVCLOUD,
  AWS,
  AZURE,
  CLOUDRIFT,
  CRUSOE,
  CUDO,
  DATACRUNCH,
  DIGITALOCEAN,
  DSTACK,
  GCP,
  HOTAISLE,
  JARVISLABS,
  KUBERNETES,
  LAMBDA,
  REMOTE,
  NEBIUS,
  OCI,
  RUNPOD,
  TENSORDOCK,
  VASTAI,
  VERDA,
  VULTR,
  SLURM;

  public String value() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static BackendType fromValue(String value) {
    for (BackendType type : values()) {
      if (type.value().equals(value)) {
        return type;
      }
    }
    throw new IllegalArgumentException("unknown backend type " + value);
  }
}
