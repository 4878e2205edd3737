import * as api from '../api.js';
import {h, field, facts, section} from '../dom.js';
import {age, pageHeader, link, errorSlot, onSubmit, onAction, dangerButton} from '../widgets.js';

/** A user's page (global admins) or, at /profile, the signed-in user's own. */
export async function render({params, session, navigate}) {
  const mine = !params.username || params.username === session.user.username;
  let user = mine ? await api.post('users/get_my_user') : await api.post('users/get_user', {username: params.username});
  const isAdmin = session.user.global_role === 'admin';

  const tokenErrors = errorSlot();
  const token = h('code', {id: 'user-token', class: 'secret-value'}, '••••••••');
  const reveal = h('button', {type: 'button', class: 'link'}, 'Reveal');
  reveal.addEventListener('click', () => {
    token.textContent = user.creds?.token || '—';
    reveal.hidden = true;
  });
  const copy = h('button', {type: 'button', class: 'link'}, 'Copy');
  onAction(copy, tokenErrors, () => navigator.clipboard.writeText(user.creds?.token || ''));
  const refresh = dangerButton('Refresh token', `Issue a new token for ${user.username}? The current one stops working at once.`, tokenErrors,
    () => api.post('users/refresh_token', {username: user.username}), updated => {
      if (!updated) return;
      user = updated;
      token.textContent = user.creds.token;
      reveal.hidden = true;
      if (mine) api.setToken(user.creds.token);
    });

  const editErrors = errorSlot();
  const edit = h('form', {class: 'form inline', id: 'user-edit'},
    field('Global role', h('select', {name: 'global_role', id: 'user-role', disabled: !isAdmin},
      ['user', 'admin'].map(r => h('option', {value: r, selected: r === user.global_role}, r)))),
    field('Email', h('input', {name: 'email', type: 'email', value: user.email || '', disabled: !isAdmin})),
    h('label', {class: 'check'}, h('input', {type: 'checkbox', name: 'active', id: 'user-active', checked: user.active, disabled: !isAdmin}), ' Active'),
    isAdmin ? h('div', {class: 'actions'}, h('button', {type: 'submit'}, 'Save')) : null, editErrors);
  if (isAdmin) {
    onSubmit(edit, editErrors, async data => {
      const updated = await api.post('users/update', {
        username: user.username, global_role: data.get('global_role'),
        email: String(data.get('email') || '').trim() || null, active: data.has('active'),
      });
      user = {...user, ...updated};
    }, () => navigate(location.pathname, {replace: true}));
  }

  const deleteErrors = errorSlot();
  return h('div', {},
    pageHeader(mine ? 'My profile' : user.username,
      isAdmin && !mine ? dangerButton('Delete user', `Delete user ${user.username}?`, deleteErrors,
        () => api.post('users/delete', {users: [user.username]}), () => navigate('/users')) : null),
    isAdmin ? h('p', {}, link('/users', '← All users')) : null,
    deleteErrors,
    section('Account', facts([
      ['Username', user.username], ['Global role', user.global_role], ['Email', user.email],
      ['Active', user.active ? 'yes' : 'no'], ['Created', age(user.created_at)],
    ]), edit),
    section('Token', h('p', {}, token, ' ', reveal, ' ', copy), tokenErrors, h('div', {class: 'actions'}, refresh),
      h('p', {class: 'muted'}, 'The CLI uses it: dstack project add --name NAME --url ', location.origin, ' --token TOKEN')),
    user.ssh_public_key ? section('SSH public key', h('pre', {class: 'code', id: 'user-ssh-key'}, user.ssh_public_key),
      h('p', {class: 'muted'}, 'Runs accept this key for dstack attach and ssh.')) : null);
}
