// The single-page app: session (token, user, projects), header, navigation and the router.
import * as api from './api.js';
import {h, fill} from './dom.js';

const PROJECT_KEY = 'dstack.project';

const routes = [
  ['/signin', () => import('./pages/signin.js'), {public: true}],
  ['/runs', () => import('./pages/runs.js')],
  ['/projects/:project/runs/:run', () => import('./pages/run.js')],
  ['/fleets', () => import('./pages/fleets.js')],
  ['/fleets/new', () => import('./pages/fleet-new.js')],
  ['/projects/:project/fleets/:fleet', () => import('./pages/fleet.js')],
  ['/projects/:project/instances/:id', () => import('./pages/instance.js')],
  ['/projects', () => import('./pages/projects.js')],
  ['/projects/:project', () => import('./pages/project.js')],
  ['/projects/:project/backends/new', () => import('./pages/backend.js')],
  ['/projects/:project/backends/:backend', () => import('./pages/backend.js')],
  ['/users', () => import('./pages/users.js')],
  ['/users/:username', () => import('./pages/user.js')],
  ['/profile', () => import('./pages/user.js')],
  ['/volumes', () => import('./pages/volumes.js')],
  ['/gateways', () => import('./pages/gateways.js')],
  ['/events', () => import('./pages/events.js')],
];

const navItems = [
  ['/runs', 'Runs'], ['/fleets', 'Fleets'], ['/projects', 'Projects'], ['/volumes', 'Volumes'],
  ['/gateways', 'Gateways'], ['/events', 'Events'], ['/users', 'Users', user => user.global_role === 'admin'],
];

/** What every page may read: the signed-in user, their projects, the chosen project. */
export const session = {
  user: null,
  projects: [],
  version: null,
  get project() {
    const chosen = localStorage.getItem(PROJECT_KEY);
    const names = this.projects.map(p => p.project_name);
    return names.includes(chosen) ? chosen : names[0] || null;
  },
  set project(name) {
    localStorage.setItem(PROJECT_KEY, name);
  },
  async reloadProjects() {
    this.projects = await api.post('projects/list', {include_not_joined: false}, {quiet: true});
    renderHeader();
  },
};

let cleanups = [];
let renderCount = 0;

export function navigate(path, {replace = false} = {}) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render();
}

function match(pathname) {
  const parts = pathname.replace(/\/+$/, '').split('/').filter(Boolean).map(decodeURIComponent);
  for (const [pattern, load, options] of routes) {
    const want = pattern.split('/').filter(Boolean);
    if (want.length !== parts.length) continue;
    const params = {};
    if (want.every((w, i) => (w.startsWith(':') ? ((params[w.slice(1)] = parts[i]), true) : w === parts[i]))) {
      return {load, params, options: options || {}};
    }
  }
  return null;
}

async function startSession() {
  const [user, info, projects] = await Promise.all([
    api.post('users/get_my_user'),
    api.post('server/get_info', undefined, {auth: null}),
    api.post('projects/list', {include_not_joined: false}),
  ]);
  Object.assign(session, {user, version: info.server_version, projects});
}

export function signOut() {
  api.setToken(null);
  Object.assign(session, {user: null, projects: []});
  navigate('/signin');
}

async function render() {
  const current = ++renderCount;
  cleanups.forEach(stop => stop());
  cleanups = [];
  const main = document.getElementById('main');
  let {pathname} = location;
  if (pathname === '/' || pathname === '/index.html') {
    history.replaceState(null, '', '/runs');
    pathname = '/runs';
  }
  const route = match(pathname);
  if (!route?.options.public && !api.token()) {
    history.replaceState(null, '', '/signin?next=' + encodeURIComponent(pathname + location.search));
    return render();
  }
  try {
    if (api.token() && !session.user) await startSession();
  } catch (error) {
    if (error.status === 401 || error.status === 403) return signOut();
    fill(main, h('div', {class: 'error', role: 'alert'}, error.message));
    return;
  }
  renderHeader();
  renderNav(pathname);
  if (!route) {
    fill(main, h('h1', {}, 'Page not found'), h('p', {}, 'Nothing lives at ', h('code', {}, pathname), '. ',
      h('a', {href: '/runs'}, 'Go to runs'), '.'));
    return;
  }
  const context = {
    params: route.params,
    query: new URLSearchParams(location.search),
    session,
    navigate,
    /** Calls fn every ms until the page is left. */
    every(ms, fn) {
      const timer = setInterval(fn, ms);
      cleanups.push(() => clearInterval(timer));
    },
    onLeave(fn) {
      cleanups.push(fn);
    },
    get left() {
      return current !== renderCount;
    },
  };
  try {
    const page = await route.load();
    const node = await page.render(context);
    if (current !== renderCount) return;
    fill(main, node);
    document.title = (main.querySelector('h1')?.textContent || 'dstack') + ' · dstack';
  } catch (error) {
    if (current !== renderCount) return;
    fill(main, h('h1', {}, 'Something went wrong'), h('div', {class: 'error', role: 'alert'}, error.message));
  }
}

function renderHeader() {
  const header = document.getElementById('header');
  if (!session.user) {
    fill(header, h('a', {class: 'brand', href: '/runs'}, 'dstack'));
    return;
  }
  const switcher = h('select', {id: 'project-switcher', 'aria-label': 'Project'},
    session.projects.map(p => h('option', {value: p.project_name, selected: p.project_name === session.project}, p.project_name)));
  switcher.addEventListener('change', () => {
    session.project = switcher.value;
    window.dispatchEvent(new CustomEvent('dstack:project'));
  });
  fill(header,
    h('a', {class: 'brand', href: '/runs'}, 'dstack'),
    session.projects.length ? switcher : h('a', {href: '/projects'}, 'Create a project'),
    h('span', {class: 'spacer'}),
    h('span', {class: 'version', title: 'Server version'}, 'v' + session.version),
    h('a', {href: '/profile', class: 'user', id: 'current-user'}, session.user.username),
    h('button', {type: 'button', class: 'link', onclick: signOut}, 'Sign out'));
}

/** The menu entry a path belongs to: a project's runs are under Runs, its fleets under Fleets. */
function navSection(pathname) {
  const inProject = pathname.match(/^\/projects\/[^/]+\/(runs|fleets|instances|backends)/);
  if (!inProject) return pathname;
  return {runs: '/runs', fleets: '/fleets', instances: '/fleets', backends: '/projects'}[inProject[1]];
}

function renderNav(pathname) {
  const nav = document.getElementById('nav');
  if (!session.user) {
    nav.hidden = true;
    return;
  }
  nav.hidden = false;
  const current = navSection(pathname);
  fill(nav, h('ul', {}, navItems.filter(([, , show]) => !show || show(session.user)).map(([href, label]) =>
    h('li', {}, h('a', {href, 'aria-current': current.startsWith(href) ? 'page' : null}, label)))));
}

// links inside the app change the route without reloading the page
document.addEventListener('click', event => {
  const anchor = event.target.closest('a[href]');
  if (!anchor || anchor.target || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  const url = new URL(anchor.href, location.href);
  if (url.origin !== location.origin || /^\/(api|proxy|healthcheck|metrics)(\/|$)/.test(url.pathname)) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener('popstate', render);
window.addEventListener('dstack:unauthorized', () => {
  if (session.user) signOut();
});
window.addEventListener('dstack:project', render);
render();
