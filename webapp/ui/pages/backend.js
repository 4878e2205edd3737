import * as api from '../api.js';
import {h, field} from '../dom.js';
import {pageHeader, errorSlot, onSubmit, onAction, link, dangerButton} from '../widgets.js';
import {toYaml, fromYaml} from '../yaml.js';

const MASK = '********';

const TEMPLATE = `type: aws
creds:
  type: access_key
  access_key: AKIA...
  secret_key: ...
regions: [us-east-1]
`;

/** A copy of the config with every credential value under creds (its type aside) replaced by MASK. */
export function masked(config) {
  const copy = structuredClone(config);
  const hide = node => {
    for (const [key, value] of Object.entries(node)) {
      if (value && typeof value === 'object') hide(value);
      else if (key !== 'type' && value !== null) node[key] = MASK;
    }
  };
  if (copy.creds && typeof copy.creds === 'object') hide(copy.creds);
  return copy;
}

/** Puts the stored values back where the edited config still shows MASK. */
export function unmasked(edited, original) {
  const restore = (node, source) => {
    if (!node || typeof node !== 'object' || !source || typeof source !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (value === MASK && key in source) node[key] = source[key];
      else restore(value, source[key]);
    }
  };
  if (edited && typeof edited === 'object') restore(edited.creds, original?.creds);
  return edited;
}

export async function render({params, navigate}) {
  const project = params.project;
  const base = `project/${encodeURIComponent(project)}/backends/`;
  const creating = !params.backend;
  let original = null;
  if (!creating) {
    const stored = await api.post(base + encodeURIComponent(params.backend) + '/get_yaml');
    original = fromYaml(stored.config_yaml);
  }
  const editor = h('textarea', {name: 'yaml', id: 'backend-yaml', class: 'code-editor', rows: 16, spellcheck: 'false'},
    creating ? TEMPLATE : toYaml(masked(original)));
  const errors = errorSlot();
  const reveal = h('button', {type: 'button'}, 'Reveal credentials');
  onAction(reveal, errors, async () => {
    const current = unmasked(fromYaml(editor.value), original);
    editor.value = toYaml(current);
    reveal.remove();
  });
  const form = h('form', {class: 'form'},
    field('Backend configuration (YAML)', editor),
    h('p', {class: 'muted'}, creating ? 'Credentials are stored encrypted.'
      : `Credentials show as ${MASK}; leave them so to keep the stored values.`),
    errors,
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, creating ? 'Create backend' : 'Save backend'),
      creating ? null : reveal));
  onSubmit(form, errors, async data => {
    const text = String(data.get('yaml'));
    if (creating) {
      fromYaml(text); // a syntax error is reported here, with its line
      await api.post(base + 'create_yaml', {config_yaml: text});
    } else {
      await api.post(base + 'update_yaml', {config_yaml: toYaml(unmasked(fromYaml(text), original))});
    }
  }, () => navigate(`/projects/${encodeURIComponent(project)}`));
  return h('div', {},
    pageHeader(creating ? 'New backend' : `Backend ${params.backend}`, creating ? null
      : dangerButton('Delete backend', `Delete backend ${params.backend} from ${project}?`, errors,
        () => api.post(base + 'delete', {backends_names: [params.backend]}), () => navigate(`/projects/${encodeURIComponent(project)}`))),
    h('p', {}, link(`/projects/${encodeURIComponent(project)}`, '← Project ' + project)),
    form);
}
