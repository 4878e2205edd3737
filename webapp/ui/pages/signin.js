import * as api from '../api.js';
import {h, field} from '../dom.js';
import {errorSlot, onSubmit} from '../widgets.js';

export async function render({query, navigate}) {
  const errors = errorSlot();
  const input = h('input', {name: 'token', type: 'password', required: true, autocomplete: 'current-password',
    id: 'token', autofocus: true});
  const form = h('form', {class: 'form narrow', id: 'signin'},
    h('h1', {}, 'Sign in to dstack'),
    h('p', {class: 'muted'}, 'Use your user token. The admin token is printed when the server starts; ',
      'other users find theirs on their profile page or get it from an admin.'),
    field('Token', input),
    errors,
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Sign in')));
  onSubmit(form, errors, async data => {
    const candidate = String(data.get('token')).trim();
    // checks the token before keeping it
    await api.post('users/get_my_user', undefined, {auth: candidate});
    api.setToken(candidate);
  }, () => {
    const next = query.get('next');
    navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/runs', {replace: true});
  });
  return form;
}
