import * as api from '../api.js';
import {h, fill, table, field, section} from '../dom.js';
import {age, pageHeader, link, errorSlot, onSubmit} from '../widgets.js';

export async function render({session, navigate}) {
  const list = h('div', {id: 'users'});
  const users = await api.post('users/list', {});
  fill(list, table([
    {title: 'User', cell: u => link(`/users/${encodeURIComponent(u.username)}`, u.username)},
    {title: 'Role', cell: u => u.global_role},
    {title: 'Email', cell: u => u.email || '—'},
    {title: 'Active', cell: u => (u.active ? 'yes' : 'no')},
    {title: 'Created', cell: u => age(u.created_at)},
  ], users, 'No users.'));
  if (session.user.global_role !== 'admin') {
    return h('div', {}, pageHeader('Users'), list);
  }
  const errors = errorSlot();
  const form = h('form', {class: 'form inline', id: 'user-create'},
    field('Username', h('input', {name: 'username', id: 'new-username', required: true})),
    field('Email', h('input', {name: 'email', type: 'email', id: 'new-email'})),
    field('Global role', h('select', {name: 'global_role', id: 'new-role'}, ['user', 'admin'].map(r => h('option', {value: r}, r)))),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Create user')), errors);
  let created;
  onSubmit(form, errors, async data => {
    created = await api.post('users/create', {
      username: String(data.get('username')).trim(), global_role: data.get('global_role'),
      email: String(data.get('email')).trim() || null, active: true,
    });
  }, () => navigate(`/users/${encodeURIComponent(created.username)}`));
  return h('div', {}, pageHeader('Users'), section('All users', list), section('New user', form));
}
