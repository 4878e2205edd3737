import * as api from '../api.js';
import {h, fill, table, status, field} from '../dom.js';
import {age, money, resources, pageHeader, link, errorSlot} from '../widgets.js';

const ACTIVE = ['pending', 'submitted', 'provisioning', 'running', 'terminating'];

export function runResources(run) {
  const provisioning = run.latest_job_submission?.job_provisioning_data;
  if (provisioning) return resources(provisioning.instance_type?.resources);
  const wanted = run.run_spec?.configuration?.resources;
  return wanted ? 'wants ' + describeRequirements(wanted) : '—';
}

function describeRequirements(r) {
  const range = v => (v && typeof v === 'object' ? `${v.min ?? ''}..${v.max ?? ''}` : v);
  const parts = [];
  if (r.cpu) parts.push(`cpu ${range(r.cpu.count ?? r.cpu)}`);
  if (r.memory) parts.push(`mem ${range(r.memory)}GB`);
  if (r.gpu && (r.gpu.count?.min || r.gpu.name)) parts.push(`gpu ${range(r.gpu.count)}`);
  return parts.join(', ') || 'any';
}

export function runTitle(run) {
  return run.run_spec?.run_name || run.run_name;
}

export async function render(ctx) {
  const {query, session, navigate} = ctx;
  const projectFilter = query.get('project') || '';
  const userFilter = query.get('user') || '';
  const onlyActive = query.get('active') === '1';

  const projectSelect = h('select', {name: 'project', id: 'filter-project'},
    h('option', {value: ''}, 'All projects'),
    session.projects.map(p => h('option', {value: p.project_name, selected: p.project_name === projectFilter}, p.project_name)));
  const userInput = h('input', {name: 'user', id: 'filter-user', value: userFilter, placeholder: 'any user', list: 'known-users'});
  const activeBox = h('input', {type: 'checkbox', name: 'active', id: 'filter-active', checked: onlyActive});
  const users = h('datalist', {id: 'known-users'});
  const filters = h('form', {class: 'filters', role: 'search'},
    field('Project', projectSelect), field('User', userInput),
    h('label', {class: 'check'}, activeBox, ' Active only'), users);
  const apply = () => {
    const next = new URLSearchParams();
    if (projectSelect.value) next.set('project', projectSelect.value);
    if (userInput.value.trim()) next.set('user', userInput.value.trim());
    if (activeBox.checked) next.set('active', '1');
    navigate('/runs' + (next.toString() ? '?' + next : ''), {replace: true});
  };
  projectSelect.addEventListener('change', apply);
  activeBox.addEventListener('change', apply);
  userInput.addEventListener('change', apply);
  filters.addEventListener('submit', event => {
    event.preventDefault();
    apply();
  });
  api.post('users/list', {}, {quiet: true}).then(list => fill(users, list.map(u => h('option', {value: u.username}))), () => {});

  const errors = errorSlot();
  const body = h('div', {id: 'runs', 'aria-live': 'polite'});
  const load = async quiet => {
    const runs = await api.post('runs/list', {
      project_name: projectFilter || null, username: userFilter || null, only_active: onlyActive,
      limit: 100, job_submissions_limit: 1,
    }, {quiet});
    fill(body, table([
      {title: 'Name', cell: r => link(`/projects/${encodeURIComponent(r.project_name)}/runs/${encodeURIComponent(runTitle(r))}`, runTitle(r))},
      {title: 'Project', cell: r => r.project_name},
      {title: 'User', cell: r => r.user},
      {title: 'Type', cell: r => r.run_spec?.configuration?.type || '—'},
      {title: 'Status', cell: r => status(r.status)},
      {title: 'Submitted', cell: r => age(r.submitted_at)},
      {title: 'Resources', cell: runResources},
      {title: 'Cost', cell: r => money(r.cost)},
    ], runs, emptyText(onlyActive, projectFilter || userFilter)));
  };
  await load(false);
  ctx.every(5000, () => load(true).then(() => errors.show(null), error => errors.show(error)));
  return h('div', {},
    pageHeader('Runs', h('span', {class: 'muted'}, 'Refreshes every 5 s')),
    filters, errors, body);
}

function emptyText(onlyActive, filtered) {
  if (onlyActive || filtered) return 'No runs match these filters. Clear them to see every run.';
  return 'No runs yet. Submit one with the CLI: dstack apply -f task.dstack.yml';
}

export {ACTIVE};
