import * as api from '../api.js';
import {h, fill, table, field} from '../dom.js';
import {dateTime, pageHeader, errorSlot, onAction} from '../widgets.js';

const TARGET_TYPES = ['project', 'user', 'fleet', 'instance', 'run', 'job', 'volume', 'gateway', 'secret'];

function targetText(target) {
  const scope = target.type !== 'project' && target.project_name ? target.project_name + '/' : '';
  return `${target.type} ${scope}${target.name}`;
}

export async function render(ctx) {
  const {session, query, navigate} = ctx;
  const users = await api.post('users/list', {}, {quiet: true}).catch(() => [session.user]);
  const projectSelect = h('select', {name: 'project', id: 'events-project'}, h('option', {value: ''}, 'All projects'),
    session.projects.map(p => h('option', {value: p.project_name, selected: p.project_name === query.get('project')}, p.project_name)));
  const typeSelect = h('select', {name: 'type', id: 'events-type'}, h('option', {value: ''}, 'Any target'),
    TARGET_TYPES.map(t => h('option', {value: t, selected: t === query.get('type')}, t)));
  const userSelect = h('select', {name: 'user', id: 'events-user'}, h('option', {value: ''}, 'Any actor'),
    h('option', {value: 'system', selected: query.get('user') === 'system'}, 'system'),
    users.map(u => h('option', {value: u.username, selected: u.username === query.get('user')}, u.username)));
  const apply = () => {
    const next = new URLSearchParams();
    for (const [key, select] of [['project', projectSelect], ['type', typeSelect], ['user', userSelect]]) {
      if (select.value) next.set(key, select.value);
    }
    navigate('/events' + (next.toString() ? '?' + next : ''), {replace: true});
  };
  [projectSelect, typeSelect, userSelect].forEach(s => s.addEventListener('change', apply));

  const filter = {limit: 100};
  const project = session.projects.find(p => p.project_name === query.get('project'));
  if (project) filter.within_projects = [project.project_id];
  if (query.get('type')) filter.include_target_types = [query.get('type')];
  if (query.get('user') === 'system') filter.actors = [null];
  else if (query.get('user')) {
    const actor = users.find(u => u.username === query.get('user'));
    if (actor) filter.actors = [actor.id];
  }

  const errors = errorSlot();
  const list = h('div', {id: 'events'});
  let shown = [];
  const draw = () => fill(list, table([
    {title: 'When', cell: e => dateTime(e.recorded_at)},
    {title: 'Event', cell: e => e.message},
    {title: 'Targets', cell: e => e.targets.map(targetText).join(', ')},
    {title: 'Actor', cell: e => e.actor_user || 'system'},
  ], shown, 'No events match. Events are recorded as projects, fleets and runs change.'));
  const loadNewest = async quiet => {
    const newest = await api.post('events/list', filter, {quiet});
    const known = new Set(newest.map(e => e.id));
    shown = [...newest, ...shown.filter(e => !known.has(e.id) && e.recorded_at < (newest.at(-1)?.recorded_at || ''))];
    draw();
  };
  await loadNewest(false);
  const older = h('button', {type: 'button'}, 'Older events');
  onAction(older, errors, async () => {
    const last = shown.at(-1);
    if (!last) return;
    const page = await api.post('events/list', {...filter, prev_recorded_at: last.recorded_at, prev_id: last.id});
    shown = [...shown, ...page];
    draw();
    if (page.length < filter.limit) older.hidden = true;
  });
  ctx.every(5000, () => loadNewest(true).then(() => errors.show(null), error => errors.show(error)));
  return h('div', {}, pageHeader('Events'),
    h('form', {class: 'filters', role: 'search'}, field('Project', projectSelect), field('Target type', typeSelect), field('Actor', userSelect)),
    errors, list, h('div', {class: 'actions'}, older));
}
