// The UI's only way to the server: the public REST API, as the CLI calls it.

const TOKEN_KEY = 'dstack.token';
let busy = 0;

export function token() {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) localStorage.setItem(TOKEN_KEY, value);
  else localStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** POST /api/<path> with a JSON body; resolves to the parsed response (null for null bodies). */
export function post(path, body, options = {}) {
  return call('POST', path, body === undefined ? undefined : JSON.stringify(body), options);
}

export function get(path, options = {}) {
  return call('GET', path, undefined, options);
}

async function call(method, path, body, {quiet = false, auth = token()} = {}) {
  const headers = {'X-API-VERSION': 'latest'};
  if (auth) headers.Authorization = 'Bearer ' + auth;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  // background refreshes must not flash the progress bar
  if (!quiet) progress(+1);
  try {
    let response;
    try {
      response = await fetch('/api/' + path, {method, headers, body});
    } catch (e) {
      throw new ApiError(0, 'The server cannot be reached: ' + e.message);
    }
    const text = await response.text();
    const parsed = parse(text);
    if (!response.ok) {
      if (response.status === 401 || (response.status === 403 && isTokenFailure(parsed))) {
        window.dispatchEvent(new CustomEvent('dstack:unauthorized'));
      }
      throw new ApiError(response.status, errorMessage(response.status, parsed, text));
    }
    return parsed;
  } finally {
    if (!quiet) progress(-1);
  }
}

function parse(text) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isTokenFailure(body) {
  return body && body.detail && body.detail.msg === 'Invalid token';
}

/** The message of any of the server's error bodies (API.md §1.4). */
export function errorMessage(status, body, text) {
  const detail = body && (body.detail !== undefined ? body.detail : body);
  if (Array.isArray(detail)) {
    return detail.map(entry => {
      const where = entry.fields ? entry.fields.map(f => [].concat(f).join('.')).join(', ')
        : entry.loc ? entry.loc.filter(l => l !== 'body').join('.') : '';
      return where ? `${where}: ${entry.msg}` : entry.msg;
    }).join('; ');
  }
  if (detail && typeof detail === 'object' && detail.msg) return detail.msg;
  if (typeof detail === 'string') return detail;
  return `The server answered ${status}` + (text ? ': ' + text.slice(0, 200) : '');
}

function progress(delta) {
  busy += delta;
  const bar = document.getElementById('progress');
  if (bar) bar.hidden = busy <= 0;
  document.body.classList.toggle('busy', busy > 0);
}
