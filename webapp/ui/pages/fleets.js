import * as api from '../api.js';
import {h, fill, table, status, section} from '../dom.js';
import {age, money, resources, pageHeader, link, errorSlot} from '../widgets.js';

export function instancePath(i) {
  return `/projects/${encodeURIComponent(i.project_name)}/instances/${i.id}`;
}

export function instanceStatus(i) {
  return [status(i.status), i.unreachable ? h('span', {class: 'status status-failed'}, 'unreachable') : null,
    i.health_status && i.health_status !== 'healthy' ? h('span', {class: 'status status-terminating'}, i.health_status) : null];
}

export const instanceColumns = [
  {title: 'Instance', cell: i => link(instancePath(i), i.name)},
  {title: 'Fleet', cell: i => i.fleet_name || '—'},
  {title: 'Status', cell: instanceStatus},
  {title: 'Host', cell: i => i.hostname || '—'},
  {title: 'Resources', cell: i => resources(i.instance_type?.resources)},
  {title: 'Blocks', cell: i => `${i.busy_blocks ?? 0}/${i.total_blocks ?? '—'} busy`},
  {title: 'Price', cell: i => money(i.price)},
  {title: 'Created', cell: i => age(i.created)},
];

export async function render(ctx) {
  const errors = errorSlot();
  const fleetsNode = h('div', {id: 'fleets'});
  const instancesNode = h('div', {id: 'instances'});
  const load = async quiet => {
    const [fleets, instances] = await Promise.all([
      api.post('fleets/list', {limit: 100}, {quiet}),
      api.post('instances/list', {limit: 1000}, {quiet}),
    ]);
    fill(fleetsNode, table([
      {title: 'Fleet', cell: f => link(`/projects/${encodeURIComponent(f.project_name)}/fleets/${encodeURIComponent(f.name)}`, f.name)},
      {title: 'Project', cell: f => f.project_name},
      {title: 'Type', cell: f => (f.spec?.configuration?.ssh_config ? 'SSH' : 'cloud')},
      {title: 'Status', cell: f => status(f.status)},
      {title: 'Instances', cell: f => String(f.instances.length)},
      {title: 'Created', cell: f => age(f.created_at)},
    ], fleets, 'No fleets yet. Create an SSH fleet of your own hosts with “New SSH fleet”, or with dstack apply -f fleet.dstack.yml.'));
    fill(instancesNode, table(instanceColumns, instances, 'No instances. They appear when a fleet is created.'));
  };
  await load(false);
  ctx.every(5000, () => load(true).then(() => errors.show(null), error => errors.show(error)));
  return h('div', {},
    pageHeader('Fleets', h('a', {href: '/fleets/new', class: 'button primary'}, 'New SSH fleet')),
    errors,
    section('Fleets', fleetsNode),
    section('Instances', instancesNode));
}
