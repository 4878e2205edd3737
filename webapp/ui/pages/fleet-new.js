import * as api from '../api.js';
import {h, field} from '../dom.js';
import {pageHeader, errorSlot, onSubmit, link} from '../widgets.js';
import {fromYaml} from '../yaml.js';

const TEMPLATE = `type: fleet
name: my-fleet
ssh_config:
  user: ubuntu
  # the browser cannot read identity files: paste the private key here
  ssh_key:
    private: |
      -----BEGIN OPENSSH PRIVATE KEY-----
      ...
      -----END OPENSSH PRIVATE KEY-----
  hosts:
    - 192.168.100.1
`;

/** Turns the YAML into the FleetSpec the CLI would send; mistakes the server cannot explain are caught here. */
export function fleetSpec(text) {
  const configuration = fromYaml(text);
  if (!configuration || typeof configuration !== 'object' || Array.isArray(configuration)) {
    throw new Error('The configuration must be a YAML mapping (type: fleet, name, ssh_config …)');
  }
  if (configuration.type !== 'fleet') throw new Error('type must be fleet');
  const keyHolders = [configuration.ssh_config, ...(configuration.ssh_config?.hosts || [])];
  for (const holder of keyHolders) {
    if (holder && typeof holder === 'object' && holder.ssh_key && holder.ssh_key.public === undefined) {
      holder.ssh_key.public = '';
    }
  }
  return {configuration, configuration_path: null, profile: {name: 'default'}};
}

export async function render({session, navigate}) {
  const errors = errorSlot();
  const projectSelect = h('select', {name: 'project', id: 'fleet-project'},
    session.projects.map(p => h('option', {value: p.project_name, selected: p.project_name === session.project}, p.project_name)));
  const editor = h('textarea', {name: 'yaml', id: 'fleet-yaml', class: 'code-editor', rows: 18, spellcheck: 'false'}, TEMPLATE);
  const form = h('form', {class: 'form'},
    field('Project', projectSelect),
    field('Fleet configuration (YAML)', editor),
    errors,
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Create fleet')));
  let created;
  onSubmit(form, errors, async data => {
    const project = `project/${encodeURIComponent(data.get('project'))}/fleets/`;
    const spec = fleetSpec(String(data.get('yaml')));
    const plan = await api.post(project + 'get_plan', {spec});
    created = await api.post(project + 'apply', {plan: {spec: plan.spec, current_resource: plan.current_resource}, force: false});
  }, () => navigate(`/projects/${encodeURIComponent(created.project_name)}/fleets/${encodeURIComponent(created.name)}`));
  return h('div', {}, pageHeader('New SSH fleet'), h('p', {}, link('/fleets', '← Fleets')),
    h('p', {class: 'muted'}, 'Hosts must be reachable over SSH from the server. The server installs its agent on each host.'),
    form);
}
