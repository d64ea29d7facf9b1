// The dashboard's calls to the node's HTTP API (docs/api.md). Every call sends the signed-in token, kept in
// sessionStorage for the tab's life. Answers are Protobuf JSON: snake_case names, 64-bit numbers as strings.
// A failed call throws an ApiError with the node's code and message; a 401 also calls the unauthorized handler
// (the page signs out and shows the login with that message).

const token_key = 'troupe.token';

export const session = {
  token: () => sessionStorage.getItem(token_key) || '',
  set: (token) => sessionStorage.setItem(token_key, token),
  clear: () => sessionStorage.removeItem(token_key),
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let on_unauthorized = () => {};
export function set_unauthorized_handler(handler) { on_unauthorized = handler; }

export async function api(method, path, body) {
  const headers = { Authorization: 'Bearer ' + session.token() };
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'unavailable', `the node does not answer (${e.message})`);
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (!response.ok) {
    const error = data && data.error ? data.error : { code: `http_${response.status}`, message: text.trim() };
    const e = new ApiError(response.status, error.code, error.message || response.statusText);
    if (response.status === 401) on_unauthorized(e);
    throw e;
  }
  return data;
}

// --- formatting shared by the views ---

// An RFC 3339 time from the node as milliseconds since the epoch (NaN if unset or malformed).
export function time_ms(text) {
  if (!text) return NaN;
  return Date.parse(text.replace(/(\.\d{3})\d+/, '$1'));
}

export function format_time(text) {
  const ms = time_ms(text);
  return Number.isNaN(ms) ? '' : new Date(ms).toLocaleTimeString();
}

export function format_duration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  if (seconds < 60) return `${Math.floor(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${Math.floor(seconds % 60)}s`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86400)}d ${Math.floor((seconds % 86400) / 3600)}h`;
}

export function format_number(value, digits = 2) {
  const n = Number(value);
  if (!Number.isFinite(n)) return '–';
  return Number.isInteger(n) ? n.toLocaleString() : n.toFixed(digits);
}

// An element with attributes and children: el('td', {class: 'x', dataset: {jobId: 3}}, 'text', child).
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
