import * as api from '../api.js';
import {h, fill, table, field, facts, section} from '../dom.js';
import {age, pageHeader, link, errorSlot, onSubmit, onAction, dangerButton} from '../widgets.js';

const ROLES = ['admin', 'manager', 'user'];

export async function render(ctx) {
  const {params, session, navigate} = ctx;
  const name = params.project;
  const base = `project/${encodeURIComponent(name)}/`;
  let project = await api.post('projects/' + encodeURIComponent(name) + '/get');
  const me = session.user;
  const myRole = project.members.find(m => m.user.username === me.username)?.project_role;
  const isAdmin = me.global_role === 'admin' || myRole === 'admin';
  const isManager = isAdmin || myRole === 'manager';

  const settingsErrors = errorSlot();
  const settings = h('form', {class: 'form inline', id: 'project-settings'},
    h('label', {class: 'check'}, h('input', {type: 'checkbox', name: 'is_public', checked: project.is_public, disabled: !isAdmin}), ' Public (anyone signed in may see it and join as user)'),
    isAdmin ? h('div', {class: 'actions'}, h('button', {type: 'submit'}, 'Save settings')) : null,
    settingsErrors);
  if (isAdmin) {
    onSubmit(settings, settingsErrors, async data => {
      project = await api.post(`projects/${encodeURIComponent(name)}/update`, {is_public: data.has('is_public')});
    });
  }

  const membersErrors = errorSlot();
  const members = h('div', {id: 'members'});
  const drawMembers = () => fill(members, table([
    {title: 'User', cell: m => (me.global_role === 'admin' ? link(`/users/${encodeURIComponent(m.user.username)}`, m.user.username) : m.user.username)},
    {title: 'Role', cell: m => {
      if (!isManager) return m.project_role;
      const select = h('select', {'aria-label': `Role of ${m.user.username}`, dataset: {member: m.user.username}},
        ROLES.map(role => h('option', {value: role, selected: role === m.project_role}, role)));
      select.addEventListener('change', async () => {
        const wanted = project.members.map(x => ({username: x.user.username,
          project_role: x.user.username === m.user.username ? select.value : x.project_role}));
        try {
          membersErrors.show(null);
          project = await api.post(`projects/${encodeURIComponent(name)}/set_members`, {members: wanted});
        } catch (error) {
          membersErrors.show(error);
        }
        drawMembers();
      });
      return select;
    }},
    {title: '', cell: m => (isManager || m.user.username === me.username
      ? dangerButton(m.user.username === me.username ? 'Leave' : 'Remove', `Remove ${m.user.username} from ${name}?`, membersErrors,
        () => api.post(`projects/${encodeURIComponent(name)}/remove_members`, {usernames: [m.user.username]}),
        updated => {
          if (updated) project = updated;
          drawMembers();
        })
      : null)},
  ], project.members, 'No members.'));
  drawMembers();
  const users = h('datalist', {id: 'member-candidates'});
  api.post('users/list', {}, {quiet: true}).then(list => fill(users, list.map(u => h('option', {value: u.username}))), () => {});
  const addErrors = errorSlot();
  const addForm = h('form', {class: 'form inline', id: 'member-add'},
    field('Username or email', h('input', {name: 'username', id: 'member-username', required: true, list: 'member-candidates'})),
    field('Role', h('select', {name: 'project_role', id: 'member-role'}, ROLES.map(r => h('option', {value: r, selected: r === 'user'}, r)))),
    h('div', {class: 'actions'}, h('button', {type: 'submit'}, 'Add member')), users, addErrors);
  onSubmit(addForm, addErrors, async data => {
    project = await api.post(`projects/${encodeURIComponent(name)}/add_members`,
      {members: [{username: String(data.get('username')).trim(), project_role: data.get('project_role')}]});
    addForm.reset();
    drawMembers();
  });

  const backends = project.backends.length
    ? table([
      {title: 'Backend', cell: b => (isAdmin ? link(`/projects/${encodeURIComponent(name)}/backends/${encodeURIComponent(b.name)}`, b.name) : b.name)},
      {title: 'Regions', cell: b => (b.config?.regions || []).join(', ') || 'all'},
    ], project.backends, '')
    : h('p', {class: 'empty'}, 'No backends. SSH fleets need none; add a cloud backend to provision VMs.');

  const deleteErrors = errorSlot();
  return h('div', {},
    pageHeader(name, isAdmin ? dangerButton('Delete project', `Delete project ${name}? It must have no active runs or fleets.`, deleteErrors,
      () => api.post('projects/delete', {projects_names: [name]}), async () => {
        await session.reloadProjects();
        navigate('/projects');
      }) : null),
    h('p', {}, link('/projects', '← All projects')),
    deleteErrors,
    section('Settings', facts([
      ['Owner', project.owner?.username], ['Created', age(project.created_at)], ['Your role', myRole || (me.global_role === 'admin' ? 'global admin' : 'none')],
    ]), settings),
    section('Members', membersErrors, members, isManager ? addForm : null),
    section('Backends', backends, isAdmin ? h('p', {}, h('a', {class: 'button', href: `/projects/${encodeURIComponent(name)}/backends/new`}, 'Add backend')) : null),
    isManager ? section('Secrets', await secretsPanel(base)) : null);
}

async function secretsPanel(base) {
  const errors = errorSlot();
  const list = h('div', {id: 'secrets'});
  const load = async () => {
    const secrets = await api.post(base + 'secrets/list');
    fill(list, table([
      {title: 'Name', cell: s => h('code', {}, s.name)},
      {title: 'Value', cell: s => {
        const value = h('span', {class: 'secret-value', dataset: {secret: s.name}}, '••••••••');
        const reveal = h('button', {type: 'button', class: 'link'}, 'Reveal');
        onAction(reveal, errors, () => api.post(base + 'secrets/get', {name: s.name}), secret => {
          value.textContent = secret.value;
          reveal.remove();
        });
        return [value, ' ', reveal];
      }},
      {title: '', cell: s => dangerButton('Delete', `Delete secret ${s.name}?`, errors,
        () => api.post(base + 'secrets/delete', {secrets_names: [s.name]}), load)},
    ], secrets, 'No secrets. Runs reference secrets as ${{ secrets.NAME }} in env.'));
  };
  try {
    await load();
  } catch (error) {
    errors.show(error);
  }
  const formErrors = errorSlot();
  const form = h('form', {class: 'form inline', id: 'secret-set'},
    field('Name', h('input', {name: 'name', id: 'secret-name', required: true})),
    field('Value', h('input', {name: 'value', id: 'secret-value', type: 'password', required: true, autocomplete: 'off'})),
    h('div', {class: 'actions'}, h('button', {type: 'submit'}, 'Set secret')), formErrors);
  onSubmit(form, formErrors, data => api.post(base + 'secrets/create_or_update',
    {name: String(data.get('name')).trim(), value: String(data.get('value'))}), async () => {
    form.reset();
    await load();
  });
  return h('div', {}, errors, list, form);
}
