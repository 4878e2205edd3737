// Building DOM nodes without innerHTML, so nothing from the API is ever parsed as markup.

/** h('a', {href: '/runs', class: 'x', onclick: fn}, 'text', child, [more]) */
export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (value === true) node.setAttribute(key, '');
    else node.setAttribute(key, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces the content of a node. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

export function table(columns, rows, emptyText) {
  if (!rows.length) return h('p', {class: 'empty'}, emptyText);
  return h('div', {class: 'table-wrap'},
    h('table', {},
      h('thead', {}, h('tr', {}, columns.map(c => h('th', {scope: 'col'}, c.title)))),
      h('tbody', {}, rows.map(row => h('tr', {}, columns.map(c => h('td', {'data-label': c.title}, c.cell(row))))))));
}

export function status(value) {
  return h('span', {class: 'status status-' + (value || 'unknown')}, value || '—');
}

export function field(label, control) {
  return h('label', {class: 'field'}, h('span', {}, label), control);
}

/** Definition list of [term, value] pairs; empty values show a dash. */
export function facts(pairs) {
  return h('dl', {class: 'facts'}, pairs.map(([term, value]) => [
    h('dt', {}, term),
    h('dd', {}, value === null || value === undefined || value === '' ? '—' : value),
  ]));
}

export function section(title, ...children) {
  return h('section', {class: 'card'}, h('h2', {}, title), ...children);
}
