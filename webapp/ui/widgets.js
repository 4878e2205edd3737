// Small pieces every page uses: running an action with progress and errors, confirmations,
// formatting of times, money and resources.
import {h, fill} from './dom.js';

/** A slot that shows an API error (role=alert, so screen readers announce it). */
export function errorSlot() {
  const node = h('div', {class: 'error', role: 'alert', hidden: true});
  node.show = error => {
    fill(node, error ? (error.message || String(error)) : '');
    node.hidden = !error;
  };
  return node;
}

/**
 * Runs fn when the button is pressed: the button is disabled and says it is working meanwhile,
 * an error lands in errors (or an alert banner), then() gets the result.
 */
export function onAction(button, errors, fn, then) {
  button.addEventListener('click', async event => {
    event.preventDefault();
    if (button.disabled) return;
    const label = button.textContent;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    button.textContent = label + '…';
    errors.show(null);
    try {
      const result = await fn();
      if (then) await then(result);
    } catch (error) {
      errors.show(error);
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
      button.textContent = label;
    }
  });
  return button;
}

/** Submits a form through fn, with the same progress and error handling as onAction. */
export function onSubmit(form, errors, fn, then) {
  const button = form.querySelector('button[type=submit]');
  form.addEventListener('submit', event => {
    event.preventDefault();
    button.click();
  });
  return onAction(button, errors, () => fn(new FormData(form)), then);
}

/** A modal confirmation; resolves true when the user confirms. Esc or Cancel resolve false. */
export function confirmAction(message, confirmLabel) {
  return new Promise(resolve => {
    const yes = h('button', {class: 'danger', type: 'button'}, confirmLabel);
    const no = h('button', {type: 'button'}, 'Cancel');
    const dialog = h('dialog', {class: 'dialog', 'aria-label': confirmLabel},
      h('p', {}, message), h('div', {class: 'actions'}, no, yes));
    const close = answer => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    yes.addEventListener('click', () => close(true));
    no.addEventListener('click', () => close(false));
    dialog.addEventListener('cancel', event => {
      event.preventDefault();
      close(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}

/** A button that asks first, then runs fn. */
export function dangerButton(label, question, errors, fn, then) {
  const button = h('button', {class: 'danger', type: 'button'}, label);
  onAction(button, errors, async () => {
    if (!(await confirmAction(question, label))) return undefined;
    return fn();
  }, then);
  return button;
}

export function age(iso) {
  if (!iso) return '—';
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  const text = seconds < 60 ? `${Math.floor(seconds)}s` : seconds < 3600 ? `${Math.floor(seconds / 60)}m`
    : seconds < 86400 ? `${Math.floor(seconds / 3600)}h` : `${Math.floor(seconds / 86400)}d`;
  return h('time', {datetime: iso, title: new Date(iso).toLocaleString()}, text + ' ago');
}

export function dateTime(iso) {
  return iso ? h('time', {datetime: iso}, new Date(iso).toLocaleString()) : '—';
}

export function money(value) {
  return value === null || value === undefined ? '—' : '$' + Number(value).toFixed(4).replace(/\.?0+$/, '');
}

/** "2xCPU, 3.8GB, 1xA100 (40GB), 100GB (disk)" from an InstanceType's resources. */
export function resources(r) {
  if (!r) return '—';
  if (r.description) return r.description;
  const parts = [];
  if (r.cpus) parts.push(`${r.cpus}xCPU`);
  if (r.memory_mib) parts.push(`${(r.memory_mib / 1024).toFixed(1)}GB`);
  if (r.gpus && r.gpus.length) {
    const gpu = r.gpus[0];
    parts.push(`${r.gpus.length}x${gpu.name}` + (gpu.memory_mib ? ` (${Math.round(gpu.memory_mib / 1024)}GB)` : ''));
  }
  if (r.disk && r.disk.size_mib) parts.push(`${Math.round(r.disk.size_mib / 1024)}GB (disk)`);
  return parts.join(', ') || '—';
}

export function pageHeader(title, ...actions) {
  return h('div', {class: 'page-header'}, h('h1', {}, title), h('div', {class: 'actions'}, actions));
}

export function link(href, text) {
  return h('a', {href}, text);
}
