package ai.dstack.server.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;

/**
 * YAML as upstream reads and writes its config views (backend YAML editor, the default config.yml):
 * PyYAML's settings.
 */
public final class UpstreamYaml {
  private UpstreamYaml() {}

  /** The document's plain tree; {@link IllegalArgumentException} if it is not YAML. */
  public static Object parse(String text) {
    try {
      return new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
    } catch (YAMLException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /**
   * {@code yaml.dump(config.dict(exclude_none=True), sort_keys=False)}: block mappings in field
   * order, lists of scalars (and empty lists) in flow style, PyYAML's scalar quoting.
   */
  public static String dump(Map<String, Object> config) {
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    options.setAllowUnicode(false);
    options.setIndent(2);
    options.setWidth(80);
    return new Yaml(new PyYamlRepresenter(options), options).dump(withoutNulls(config));
  }

  private static Object withoutNulls(Object value) {
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> kept = new LinkedHashMap<>();
      map.forEach(
          (key, item) -> {
            if (item != null) {
              kept.put(String.valueOf(key), withoutNulls(item));
            }
          });
      return kept;
    }
    if (value instanceof List<?> list) {
      List<Object> kept = new ArrayList<>();
      list.forEach(item -> kept.add(withoutNulls(item)));
      return kept;
    }
    return value;
  }

  private static final class PyYamlRepresenter extends Representer {
    PyYamlRepresenter(DumperOptions options) {
      super(options);
      // SnakeYAML turns multi-line strings into literal blocks; PyYAML lets the emitter choose
      this.representers.put(
          String.class,
          data -> representScalar(Tag.STR, (String) data, DumperOptions.ScalarStyle.PLAIN));
    }

    @Override
    protected Node representSequence(
        Tag tag, Iterable<?> sequence, DumperOptions.FlowStyle flowStyle) {
      Object first = sequence.iterator().hasNext() ? sequence.iterator().next() : null;
      boolean flow =
          first == null
              || first instanceof String
              || first instanceof Long
              || first instanceof Integer;
      return super.representSequence(
          tag, sequence, flow ? DumperOptions.FlowStyle.FLOW : DumperOptions.FlowStyle.BLOCK);
    }
  }
}
