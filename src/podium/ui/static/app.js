// Client-side router: one shell page, one module per screen, loaded on demand.
import { errorBox, h } from './dom.js';
import { showLogin, start } from './session.js';
import { themeToggle } from './theme.js';

// Each page: path pattern, the nav entry it lights up, its module. A page in the main menu also has
// a NAV entry below; adding a page (e.g. Schedules) is one line in each table and its path in pages.py.
const ROUTES = [
  [/^\/$/, 'executions', () => import('./executions.js')],
  [/^\/execution\/([^/]+)$/, 'executions', () => import('./execution.js')],
  [/^\/tasks$/, 'tasks', () => import('./tasks.js')],
  [/^\/workflows$/, 'workflows', () => import('./workflows.js')],
  [/^\/workflows\/([^/]+)$/, 'workflows', () => import('./workflow-def.js')],
  [/^\/taskdefs(?:\/([^/]+))?$/, 'taskdefs', () => import('./taskdefs.js')],
  [/^\/queues$/, 'queues', () => import('./queues.js')],
  [/^\/eventhandlers(?:\/([^/]+))?$/, 'eventhandlers', () => import('./events.js')],
  [/^\/secrets$/, 'secrets', () => import('./values.js').then((m) => ({ render: m.renderSecrets }))],
  [/^\/environment$/, 'environment', () => import('./values.js').then((m) => ({ render: m.renderEnvironment }))],
];

/** The main menu, in order: [nav id, label, href, class]; a class such as needs-control hides it by role. */
export const NAV = [
  ['executions', 'Executions', '/'],
  ['tasks', 'Tasks', '/tasks'],
  ['workflows', 'Workflows', '/workflows'],
  ['taskdefs', 'Task definitions', '/taskdefs'],
  ['queues', 'Task queues', '/queues'],
  ['eventhandlers', 'Event handlers', '/eventhandlers'],
  ['secrets', 'Secrets', '/secrets', 'needs-write'],
  ['environment', 'Environment', '/environment'],
];

function drawNav() {
  const list = document.getElementById('nav-list');
  list.replaceChildren(...NAV.map(([id, label, href, cls]) => h('li', { class: cls }, h('a', { href, dataset: { nav: id } }, label))));
}

let current = null; // AbortController of the page on screen

function match(pathname) {
  for (const [re, nav, load] of ROUTES) {
    const m = re.exec(pathname);
    if (m) return { nav, load, params: m.slice(1).map((p) => (p === undefined ? undefined : decodeURIComponent(p))) };
  }
  return null;
}

/** Go to a UI path (pushes history unless replace). */
export function navigate(href, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', href); else history.pushState(null, '', href);
  route();
  window.scrollTo(0, 0);
}

async function route() {
  if (current) current.abort();
  const ctrl = new AbortController();
  current = ctrl;
  const main = document.getElementById('main');
  const found = match(location.pathname);
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (found && a.dataset.nav === found.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!found) {
    main.replaceChildren(h('div', { class: 'pad' }, h('h1', null, 'Not found'), h('p', null, 'No page here. ', h('a', { href: '/' }, 'Back to executions'))));
    return;
  }
  try {
    const mod = await found.load();
    if (ctrl.signal.aborted) return;
    main.replaceChildren();
    await mod.render(main, { params: found.params, query: new URLSearchParams(location.search), signal: ctrl.signal, navigate });
  } catch (err) {
    if (ctrl.signal.aborted || err.name === 'AbortError') return;
    main.replaceChildren(h('div', { class: 'pad' }, h('h1', null, 'Something went wrong'), errorBox(err)));
  }
}

function isUiPath(pathname) {
  return match(pathname) !== null;
}

document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest('a[href]');
  if (!a || a.getAttribute('target') || a.hasAttribute('download')) return;
  const u = new URL(a.getAttribute('href'), location.href);
  if (u.origin !== location.origin || !isUiPath(u.pathname)) return;
  e.preventDefault();
  navigate(u.pathname + u.search + u.hash);
});

window.addEventListener('popstate', route);

// Any 401 (an expired or revoked token, a sign-out): stop the page on screen and ask for a key.
window.addEventListener('podium:unauthorized', () => {
  if (current) current.abort();
  current = null;
  showLogin(route);
});

document.addEventListener('keydown', (e) => {
  if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
  const t = e.target;
  if (t.closest('input, textarea, select, [contenteditable]')) return;
  const search = document.querySelector('[data-shortcut="search"]');
  if (search) { e.preventDefault(); search.focus(); }
});

drawNav();
themeToggle(document.getElementById('theme-slot'));

// Signed in (or auth is off): show the page; otherwise the login form is on screen and routes once done.
start(route).then((ready) => { if (ready) route(); }, (err) => {
  document.getElementById('main').replaceChildren(h('div', { class: 'pad' }, h('h1', null, 'Podium is not answering'), errorBox(err)));
});
