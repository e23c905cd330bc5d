// The only door to the server: Conductor's REST API under /api.

/** An API failure carrying Conductor's error body ({status, message, validationErrors}). */
export class ApiError extends Error {
  constructor(status, body, path) {
    const message = (body && body.message) || `HTTP ${status} on ${path}`;
    super(message);
    this.status = status;
    this.body = body || {};
    this.validationErrors = (body && body.validationErrors) || [];
  }
}

const TOKEN_KEY = 'podium.token';

/** The signed-in token (kept for this tab only), or null. */
export function token() {
  try { return sessionStorage.getItem(TOKEN_KEY); } catch { return null; }
}

/** Keep (or, with null, forget) the token sent as X-Authorization on every call. */
export function setToken(value) {
  try {
    if (value) sessionStorage.setItem(TOKEN_KEY, value); else sessionStorage.removeItem(TOKEN_KEY);
  } catch { /* storage disabled: the token lasts as long as nothing needs it again */ }
}

function url(path, query) {
  const u = new URL('/api' + path, location.origin);
  if (query) {
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === '') continue;
      u.searchParams.set(k, String(v));
    }
  }
  return u.pathname + u.search;
}

/**
 * Call the API. Resolves to parsed JSON, a string for text/plain answers, or null for an empty body.
 * Rejects with ApiError for any non-2xx answer; a 401 (outside signing in) first tells the page to
 * show the login form (the 'podium:unauthorized' event).
 */
export async function request(method, path, { query, body, signal, raw } = {}) {
  const init = { method, headers: { Accept: 'application/json, text/plain' }, signal };
  const held = token();
  if (held) init.headers['X-Authorization'] = held;
  if (body !== undefined) {
    init.headers['Content-Type'] = raw ? 'text/plain' : 'application/json';
    init.body = raw ? body : JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(url(path, query), init);
  } catch (err) {
    if (err.name !== 'AbortError') reportReach(false, err);
    throw err;
  }
  // A proxy in front of a stopped server answers 502/503/504 with its own page: the server is away too.
  if ([502, 503, 504].includes(res.status) && !(res.headers.get('content-type') || '').includes('json')) reportReach(false);
  else reportReach(true);
  const type = res.headers.get('content-type') || '';
  const text = res.status === 204 ? '' : await res.text();
  let data = text;
  if (text && type.includes('json')) {
    try { data = JSON.parse(text); } catch { data = text; }
  }
  if (!res.ok) {
    const err = new ApiError(res.status, typeof data === 'object' && data !== null ? data : { message: text }, path);
    if (res.status === 401 && path !== '/token') {
      setToken(null);
      window.dispatchEvent(new CustomEvent('podium:unauthorized', { detail: err }));
    }
    throw err;
  }
  return text === '' ? null : data;
}

let reachable = true;

/** Tell the page whether the server answers ('podium:offline' / 'podium:online' on each change). */
export function reportReach(ok, err) {
  if (ok === reachable) return;
  reachable = ok;
  window.dispatchEvent(new CustomEvent(ok ? 'podium:online' : 'podium:offline', { detail: err }));
}

/** Did the last call reach the server? */
export const isReachable = () => reachable;

/** Ask the server whether it is up (GET /health, never throws). */
export async function ping() {
  try {
    const res = await fetch('/health', { cache: 'no-store', headers: { Accept: 'application/json' } });
    reportReach(res.ok);
    return res.ok;
  } catch {
    reportReach(false);
    return false;
  }
}

export const get = (path, query, opts = {}) => request('GET', path, { ...opts, query });
export const post = (path, body, query, opts = {}) => request('POST', path, { ...opts, body, query });
export const put = (path, body, query, opts = {}) => request('PUT', path, { ...opts, body, query });
export const del = (path, query, opts = {}) => request('DELETE', path, { ...opts, query });

const enc = encodeURIComponent;

/** Named calls used by the pages (paths as in Conductor's API). */
export const Api = {
  token: (keyId, keySecret) => post('/token', { keyId, keySecret }),
  userInfo: () => get('/token/userInfo'),
  search: (q, signal) => get('/workflow/search', q, { signal }),
  workflow: (id, signal) => get(`/workflow/${enc(id)}`, { includeTasks: true }, { signal }),
  pause: (id) => put(`/workflow/${enc(id)}/pause`),
  resume: (id) => put(`/workflow/${enc(id)}/resume`),
  terminate: (id, reason) => del(`/workflow/${enc(id)}`, { reason }),
  retry: (id) => post(`/workflow/${enc(id)}/retry`),
  restart: (id, useLatestDefinitions) => post(`/workflow/${enc(id)}/restart`, undefined, { useLatestDefinitions }),
  rerun: (id, req) => post(`/workflow/${enc(id)}/rerun`, req),
  skip: (id, ref, req) => put(`/workflow/${enc(id)}/skiptask/${enc(ref)}`, req || {}),
  start: (req) => post('/workflow', req),
  updateTask: (result) => post('/tasks', result),
  taskLogs: (taskId) => get(`/tasks/${enc(taskId)}/log`),
  pollData: (taskType) => get('/tasks/queue/polldata', { taskType }),
  pollDataAll: () => get('/tasks/queue/polldata/all'),
  queues: () => get('/tasks/queue/all'),
  bulk: (action, ids, query) => {
    const [method, path] = BULK[action];
    return request(method, `/workflow/bulk/${path}`, { body: ids, query });
  },
  workflowDefs: () => get('/metadata/workflow'),
  workflowDef: (name, version) => get(`/metadata/workflow/${enc(name)}`, { version }),
  validateWorkflowDef: (def) => post('/metadata/workflow/validate', def),
  saveWorkflowDef: (def, overwrite = true) => post('/metadata/workflow', def, { overwrite }),
  taskDefs: () => get('/metadata/taskdefs'),
  createTaskDef: (def) => post('/metadata/taskdefs', [def]),
  updateTaskDef: (def) => put('/metadata/taskdefs', def),
  eventHandlers: () => get('/event'),
  createEventHandler: (h) => post('/event', h),
  updateEventHandler: (h) => put('/event', h),
  deleteEventHandler: (name) => del(`/event/${enc(name)}`),
};

/** Bulk action → [method, path] (Conductor's /api/workflow/bulk/*). */
export const BULK = {
  pause: ['PUT', 'pause'],
  resume: ['PUT', 'resume'],
  retry: ['POST', 'retry'],
  restart: ['POST', 'restart'],
  terminate: ['POST', 'terminate'],
  delete: ['DELETE', 'remove'],
};
