import * as api from '../api.js';
import {h, fill, table, field, section} from '../dom.js';
import {age, pageHeader, link, errorSlot, onSubmit} from '../widgets.js';

export async function render({session, navigate}) {
  const list = h('div', {id: 'projects'});
  const load = async () => {
    const projects = await api.post('projects/list', {include_not_joined: true});
    const mine = new Set(session.projects.map(p => p.project_name));
    fill(list, table([
      {title: 'Project', cell: p => link(`/projects/${encodeURIComponent(p.project_name)}`, p.project_name)},
      {title: 'Owner', cell: p => p.owner?.username || '—'},
      {title: 'Visibility', cell: p => (p.is_public ? 'public' : 'private')},
      {title: 'Membership', cell: p => (mine.has(p.project_name) ? 'member' : 'not joined')},
      {title: 'Created', cell: p => age(p.created_at)},
    ], projects, 'No projects yet. Create one below; you become its admin.'));
  };
  await load();
  const errors = errorSlot();
  const form = h('form', {class: 'form inline', id: 'project-create'},
    field('Name', h('input', {name: 'project_name', id: 'new-project-name', required: true,
      pattern: '[a-zA-Z0-9][a-zA-Z0-9\\-_]{0,49}', title: 'Letters, digits, - and _; up to 50 characters'})),
    h('label', {class: 'check'}, h('input', {type: 'checkbox', name: 'is_public'}), ' Public'),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Create project')),
    errors);
  let created;
  onSubmit(form, errors, async data => {
    created = await api.post('projects/create', {project_name: String(data.get('project_name')).trim(), is_public: data.has('is_public')});
    await session.reloadProjects();
  }, () => navigate(`/projects/${encodeURIComponent(created.project_name)}`));
  const canCreate = session.user.global_role === 'admin' || session.user.permissions?.can_create_projects !== false;
  return h('div', {}, pageHeader('Projects'), section('All projects', list),
    canCreate ? section('New project', form) : h('p', {class: 'muted'}, 'Only global admins may create projects on this server.'));
}
