// Signing in: the page asks who it is (GET /api/token/userInfo). 404: auth is off and the UI works as
// ever; 401: a login form trades a key id and secret for a token (POST /api/token), kept for this tab
// only (sessionStorage) and sent by api.js as X-Authorization on every call. A viewer sees no actions.
import { ApiError, Api, setToken } from './api.js';
import { errorText, h } from './dom.js';

/**
 * Roles that may steer executions; any other (VIEWER, WORKER) sees the UI read-only. Elements marked
 * needs-write are hidden from read-only roles, needs-admin ones from every role but ADMIN (api/access.py).
 */
const WRITERS = new Set(['ADMIN', 'OPERATOR']);

/** Who is signed in: null when auth is off, else {id, name, roles}. */
export let user = null;

/** The signed-in key's role ('ADMIN', 'OPERATOR', 'WORKER', 'VIEWER'), or null when auth is off. */
export const currentRole = () => (user ? roleOf(user) : null);

/** May the signed-in key steer executions (and list secret names)? Always true with auth off. */
export const canSteer = () => !user || WRITERS.has(roleOf(user));

function roleOf(info) {
  const names = (info.roles || []).map((r) => (typeof r === 'string' ? r : r.name)).filter(Boolean);
  for (const r of ['ADMIN', 'OPERATOR', 'WORKER', 'VIEWER']) if (names.includes(r)) return r;
  return names[0] || 'VIEWER';
}

/** Show the signed-in name, role and sign-out in the header; mark the page read-only for viewers. */
function showUser(info) {
  user = info;
  const slot = document.getElementById('session');
  const body = document.body;
  if (!info) {
    slot.replaceChildren();
    slot.hidden = true;
    delete body.dataset.role;
    body.classList.remove('read-only', 'not-admin');
    return;
  }
  const role = roleOf(info);
  body.dataset.role = role;
  body.classList.toggle('read-only', !WRITERS.has(role));
  body.classList.toggle('not-admin', role !== 'ADMIN'); // definitions, secrets, environment, deleting executions
  slot.replaceChildren(
    h('span', { class: 'session-name', title: info.id || '' }, info.name || info.id || 'signed in'),
    h('span', { class: `role role-${role.toLowerCase()}`, dataset: { role } }, role.toLowerCase()),
    h('button', { type: 'button', class: 'btn btn-small btn-ghost', dataset: { act: 'sign-out' }, onclick: signOut }, 'Sign out'));
  slot.hidden = false;
}

/**
 * Find out whether a sign-in is needed; resolves true when the UI may show its pages (auth off, or a
 * valid token), false when the login form is on screen (it calls onSignedIn once the user signs in).
 */
export async function start(onSignedIn) {
  try {
    const info = await Api.userInfo();
    showUser(info);
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) { showUser(null); return true; } // auth is off
    if (err instanceof ApiError && err.status === 401) { showLogin(onSignedIn); return false; }
    throw err;
  }
}

function signOut() {
  setToken(null);
  onScreen = false;
  window.dispatchEvent(new Event('podium:unauthorized'));
}

let onScreen = false;

/** Replace the page with the login form. */
export function showLogin(onSignedIn) {
  setToken(null);
  showUser(null);
  if (onScreen) return;
  onScreen = true;
  const main = document.getElementById('main');
  const keyId = h('input', { id: 'login-key-id', name: 'keyId', type: 'text', autocomplete: 'username', required: true, spellcheck: 'false' });
  const secret = h('input', { id: 'login-key-secret', name: 'keySecret', type: 'password', autocomplete: 'current-password', required: true });
  const status = h('div', { class: 'login-status', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Sign in');
  const form = h('form', { class: 'login-form', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Sign in to Podium'),
    h('p', { class: 'muted' }, 'Use an application key (made with ', h('code', null, 'podium keys create'), ').'),
    h('div', { class: 'field' }, h('label', { for: 'login-key-id' }, 'Key id'), keyId),
    h('div', { class: 'field' }, h('label', { for: 'login-key-secret' }, 'Key secret'), secret),
    status,
    h('div', { class: 'page-actions' }, submit));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    status.replaceChildren();
    try {
      const answer = await Api.token(keyId.value.trim(), secret.value);
      setToken(answer && answer.token);
      showUser(await Api.userInfo());
      onScreen = false;
      onSignedIn();
    } catch (err) {
      setToken(null);
      const text = err instanceof ApiError && err.status === 401 ? 'That key id and secret were not accepted.' : errorText(err);
      status.replaceChildren(h('div', { class: 'error-box', role: 'alert' }, text));
      secret.value = '';
      secret.focus();
    } finally {
      submit.disabled = false;
    }
  });
  main.replaceChildren(h('div', { class: 'pad login' }, form));
  keyId.focus();
}
