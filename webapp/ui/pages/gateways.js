import * as api from '../api.js';
import {h, fill, table, status, field} from '../dom.js';
import {age, pageHeader, errorSlot} from '../widgets.js';

export async function render(ctx) {
  const {session} = ctx;
  const list = h('div', {id: 'gateways'});
  const errors = errorSlot();
  const select = h('select', {id: 'gateways-project'},
    session.projects.map(p => h('option', {value: p.project_name, selected: p.project_name === session.project}, p.project_name)));
  const load = async () => {
    if (!select.value) {
      fill(list, h('p', {class: 'empty'}, 'Join or create a project to see its gateways.'));
      return;
    }
    const gateways = await api.post(`project/${encodeURIComponent(select.value)}/gateways/list`, {});
    fill(list, table([
      {title: 'Gateway', cell: g => g.name},
      {title: 'Backend', cell: g => g.backend || '—'},
      {title: 'Region', cell: g => g.region || '—'},
      {title: 'Hostname', cell: g => g.hostname || '—'},
      {title: 'Domain', cell: g => g.wildcard_domain || '—'},
      {title: 'Default', cell: g => (g.default ? 'yes' : 'no')},
      {title: 'Status', cell: g => status(g.status)},
      {title: 'Created', cell: g => age(g.created_at)},
    ], gateways, 'No gateways. Services are reached through this server at /proxy/services/<project>/<run>/; a gateway (a cloud instance with a domain) needs a cloud backend.'));
  };
  select.addEventListener('change', () => load().catch(error => errors.show(error)));
  await load();
  return h('div', {}, pageHeader('Gateways'), h('div', {class: 'filters'}, field('Project', select)), errors, list);
}
