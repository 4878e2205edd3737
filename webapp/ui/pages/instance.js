import * as api from '../api.js';
import {h, facts, section} from '../dom.js';
import {age, money, resources, pageHeader, link, errorSlot, dangerButton} from '../widgets.js';
import {instanceStatus} from './fleets.js';

export async function render({params, navigate}) {
  const base = `project/${encodeURIComponent(params.project)}/`;
  const instance = await api.post(base + 'instances/get', {id: params.id});
  const errors = errorSlot();
  const r = instance.instance_type?.resources || {};
  const fleetPath = `/projects/${encodeURIComponent(params.project)}/fleets/${encodeURIComponent(instance.fleet_name || '')}`;
  return h('div', {},
    pageHeader(instance.name, instance.fleet_name ? dangerButton('Delete', `Delete instance ${instance.name}?`, errors,
      () => api.post(base + 'fleets/delete_instances', {name: instance.fleet_name, instance_nums: [instance.instance_num]}),
      () => navigate(fleetPath)) : null),
    h('p', {}, instance.fleet_name ? link(fleetPath, '← Fleet ' + instance.fleet_name) : link('/fleets', '← Fleets')),
    errors,
    section('Status', facts([
      ['Status', h('span', {id: 'instance-status'}, instanceStatus(instance))],
      ['Unreachable', instance.unreachable ? 'yes' : 'no'],
      ['Health', instance.health_status],
      ['Termination reason', instance.termination_reason],
      ['Termination message', instance.termination_reason_message],
      ['Job', instance.job_name],
      ['Created', age(instance.created)],
    ])),
    section('Resources', facts([
      ['Summary', resources(r)],
      ['CPUs', r.cpus],
      ['CPU architecture', r.cpu_arch],
      ['Memory', r.memory_mib ? `${(r.memory_mib / 1024).toFixed(1)} GB` : null],
      ['GPUs', r.gpus?.length ? r.gpus.map(g => `${g.name} (${Math.round(g.memory_mib / 1024)} GB)`).join(', ') : 'none'],
      ['Disk', r.disk?.size_mib ? `${Math.round(r.disk.size_mib / 1024)} GB` : null],
      ['Spot', r.spot ? 'yes' : 'no'],
    ])),
    section('Placement', facts([
      ['Backend', instance.backend],
      ['Region', instance.region],
      ['Host', instance.hostname],
      ['Instance type', instance.instance_type?.name],
      ['Blocks', `${instance.busy_blocks ?? 0} of ${instance.total_blocks ?? '—'} busy`],
      ['Price', money(instance.price)],
      ['Fleet', instance.fleet_name],
      ['Project', instance.project_name],
    ])));
}
