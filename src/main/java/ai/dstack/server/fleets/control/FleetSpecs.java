package ai.dstack.server.fleets.control;

import ai.dstack.server.api.ApiException;
import ai.dstack.server.config.schema.PlainTree;
import jakarta.json.Json;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Rules on a normalized FleetSpec and the forms it is kept in. */
public final class FleetSpecs {
  private FleetSpecs() {}

  /** One SSH host as the instance pipeline needs it: where, as whom, with which keys. */
  public record Host(String hostname, String connectionInfo) {}

  /** A checked spec: its name (null → generated), whether it is an SSH fleet, its hosts. */
  public record Checked(Map<String, Object> spec, String name, boolean ssh, List<Host> hosts) {}

  @SuppressWarnings("unchecked")
  static Map<String, Object> configuration(Map<String, Object> spec) {
    return (Map<String, Object>) spec.get("configuration");
  }

  public static boolean isSsh(Map<String, Object> spec) {
    return configuration(spec).get("ssh_config") != null;
  }

  @SuppressWarnings("unchecked")
  public static Map<String, Object> parse(String json) {
    return (Map<String, Object>)
        PlainTree.fromJson(Json.createReader(new StringReader(json)).readValue());
  }

  public static Map<String, Object> copy(Map<String, Object> spec) {
    return parse(PlainTree.toJson(spec).toString());
  }

  @SuppressWarnings("unchecked")
  static Checked check(Map<String, Object> spec) {
    Map<String, Object> conf = configuration(spec);
    String name = (String) conf.get("name");
    if (name != null) {
      ResourceNames.requireValid(name);
    }
    Map<String, Object> ssh = (Map<String, Object>) conf.get("ssh_config");
    if (ssh == null) {
      if (conf.get("nodes") == null) {
        throw ApiException.error("No ssh_config or nodes specified");
      }
      return new Checked(spec, name, false, List.of());
    }
    List<String> unsupported = new ArrayList<>();
    for (String field : FleetSchemas.CLOUD_FIELDS) {
      if (!field.equals("placement") && conf.get(field) != null) {
        unsupported.add(field);
      }
    }
    if (!unsupported.isEmpty()) {
      throw ApiException.error(
          "SSH fleet configuration does not support the following fields: " + unsupported);
    }
    List<Object> hosts = (List<Object>) ssh.get("hosts");
    if (hosts.isEmpty()) {
      throw ApiException.error("ssh_config.hosts must not be empty");
    }
    List<Host> checked = new ArrayList<>();
    List<String> seen = new ArrayList<>();
    for (Object entry : hosts) {
      Map<String, Object> host =
          entry instanceof String hostname
              ? Map.of("hostname", hostname)
              : (Map<String, Object>) entry;
      String hostname = (String) host.get("hostname");
      if (seen.contains(hostname)) {
        throw ApiException.error("Host " + hostname + " is listed twice");
      }
      seen.add(hostname);
      checked.add(new Host(hostname, connectionInfo(ssh, host, conf)));
    }
    return new Checked(spec, name, true, checked);
  }

  /** The instance's {@code remote_connection_info} (SERVER.md §7.1): kept encrypted. */
  @SuppressWarnings("unchecked")
  private static String connectionInfo(
      Map<String, Object> ssh, Map<String, Object> host, Map<String, Object> conf) {
    String hostname = (String) host.get("hostname");
    String user = firstNonNull((String) host.get("user"), (String) ssh.get("user"));
    Map<String, Object> key =
        firstNonNull(
            (Map<String, Object>) host.get("ssh_key"), (Map<String, Object>) ssh.get("ssh_key"));
    if (user == null || key == null || key.get("private") == null) {
      throw ApiException.error("No ssh key/user specified for host " + hostname);
    }
    requirePrivateKey((String) key.get("private"), hostname);
    Long port = firstNonNull((Long) host.get("port"), (Long) ssh.get("port"));
    Map<String, Object> proxy =
        firstNonNull(
            (Map<String, Object>) host.get("proxy_jump"),
            (Map<String, Object>) ssh.get("proxy_jump"));
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("host", hostname);
    info.put("port", port == null ? 22L : port);
    info.put("ssh_user", user);
    info.put("ssh_keys", List.of(keyPair(key)));
    if (proxy != null) {
      Map<String, Object> proxyKey = (Map<String, Object>) proxy.get("ssh_key");
      if (proxyKey == null || proxyKey.get("private") == null) {
        throw ApiException.error(
            "No ssh key specified for proxy jump host " + proxy.get("hostname"));
      }
      requirePrivateKey((String) proxyKey.get("private"), (String) proxy.get("hostname"));
      Map<String, Object> jump = new LinkedHashMap<>();
      jump.put("hostname", proxy.get("hostname"));
      jump.put("username", proxy.get("user"));
      jump.put("port", proxy.get("port") == null ? 22L : proxy.get("port"));
      info.put("ssh_proxy", jump);
      info.put("ssh_proxy_keys", List.of(keyPair(proxyKey)));
    } else {
      info.put("ssh_proxy", null);
      info.put("ssh_proxy_keys", List.of());
    }
    info.put("env", conf.get("env"));
    info.put("internal_ip", host.get("internal_ip"));
    info.put("blocks", host.get("blocks") != null ? host.get("blocks") : conf.get("blocks"));
    return PlainTree.toJson(info).toString();
  }

  private static Map<String, Object> keyPair(Map<String, Object> key) {
    Map<String, Object> pair = new LinkedHashMap<>();
    pair.put("public", key.get("public"));
    pair.put("private", key.get("private"));
    return pair;
  }

  private static void requirePrivateKey(String pem, String hostname) {
    if (!pem.contains("PRIVATE KEY-----") || pem.contains("ENCRYPTED")) {
      throw ApiException.error(
          "Unsupported private SSH key for host "
              + hostname
              + ": an unencrypted RSA, ECDSA or Ed25519 key is required");
    }
  }

  /** The spec as a fleet keeps and shows it: its name filled in, every private key removed. */
  @SuppressWarnings("unchecked")
  static String stored(Map<String, Object> spec, String name) {
    Map<String, Object> copy = copy(spec);
    Map<String, Object> conf = configuration(copy);
    conf.put("name", name);
    Map<String, Object> ssh = (Map<String, Object>) conf.get("ssh_config");
    if (ssh != null) {
      stripKey(ssh);
      stripKey((Map<String, Object>) ssh.get("proxy_jump"));
      for (Object host : (List<Object>) ssh.get("hosts")) {
        if (host instanceof Map<?, ?> map) {
          stripKey((Map<String, Object>) map);
          stripKey((Map<String, Object>) ((Map<String, Object>) map).get("proxy_jump"));
        }
      }
    }
    return PlainTree.toJson(copy).toString();
  }

  @SuppressWarnings("unchecked")
  private static void stripKey(Map<String, Object> holder) {
    if (holder != null && holder.get("ssh_key") instanceof Map<?, ?> key) {
      ((Map<String, Object>) key).put("private", null);
    }
  }

  private static <T> T firstNonNull(T a, T b) {
    return a != null ? a : b;
  }
}
