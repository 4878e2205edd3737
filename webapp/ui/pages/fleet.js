import * as api from '../api.js';
import {h, fill, table, status, facts, section} from '../dom.js';
import {age, pageHeader, link, errorSlot, dangerButton} from '../widgets.js';
import {toYaml} from '../yaml.js';
import {instanceColumns} from './fleets.js';

export async function render(ctx) {
  const {params, navigate} = ctx;
  const base = `project/${encodeURIComponent(params.project)}/fleets/`;
  const errors = errorSlot();
  const overview = h('div', {});
  const instances = h('div', {id: 'fleet-instances'});
  let fleet;
  const load = async quiet => {
    fleet = await api.post(base + 'get', {name: params.fleet}, {quiet});
    fill(overview, facts([
      ['Status', status(fleet.status)],
      ['Status message', fleet.status_message],
      ['Project', fleet.project_name],
      ['Created', age(fleet.created_at)],
      ['Instances', String(fleet.instances.length)],
    ]));
    fill(instances, table([...instanceColumns, {
      title: '',
      cell: i => dangerButton('Delete', `Delete instance ${i.name}? Its host leaves the fleet.`, errors,
        () => api.post(base + 'delete_instances', {name: params.fleet, instance_nums: [i.instance_num]}), () => load(true)),
    }], fleet.instances, 'This fleet has no instances.'));
  };
  await load(false);
  ctx.every(5000, () => load(true).catch(error => errors.show(error)));
  const spec = {...(fleet.spec?.configuration || {})};
  return h('div', {},
    pageHeader(params.fleet, dangerButton('Delete fleet', `Delete fleet ${params.fleet} and all its instances?`, errors,
      () => api.post(base + 'delete', {names: [params.fleet]}), () => navigate('/fleets'))),
    h('p', {}, link('/fleets', '← All fleets')),
    errors,
    section('Overview', overview),
    section('Instances', instances),
    section('Configuration', h('pre', {class: 'code'}, toYaml(spec))));
}
