// YAML through js-yaml, served from its WebJar inside the WAR (WEB-INF/lib, META-INF/resources).
import {load, dump} from '/webjars/js-yaml/4.1.0/dist/js-yaml.mjs';

export function toYaml(value) {
  return dump(value, {lineWidth: 120, noRefs: true});
}

/** Parses YAML; a syntax error becomes an Error whose message says where. */
export function fromYaml(text) {
  try {
    return load(text);
  } catch (error) {
    throw new Error('Invalid YAML: ' + error.message);
  }
}
