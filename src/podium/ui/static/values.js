// Secrets (names only: a value is written, never read back) and environment values, through
// /api/secrets and /api/environment. Writing either needs an ADMIN key (see session.js).
import { ApiError, del, get, put } from './api.js';
import { dialog, errorBox, errorText, h, pageHead, toast } from './dom.js';
import { canSteer } from './session.js';

const enc = encodeURIComponent;
const NAME = /^[A-Za-z0-9_-]{1,255}$/;

function refused(err, what) {
  if (err instanceof ApiError && err.status === 403) return h('p', { class: 'muted', role: 'status' }, `Your key's role may not ${what}.`);
  return errorBox(err);
}

/** A filterable one-table page; load() gives rows [{name, value?}]. */
function valuesPage(main, { title, intro, what, load, columns, row, create, allowed = () => true }) {
  const filter = h('input', { type: 'search', id: 'v-filter', placeholder: 'filter by name', 'data-shortcut': 'search', autocomplete: 'off' });
  const slot = h('div');
  let rows = [];
  main.append(h('div', { class: 'pad' },
    pageHead(title, h('button', { type: 'button', class: 'btn btn-primary needs-admin', dataset: { act: 'new' }, onclick: create }, `New ${what}`)),
    h('p', { class: 'muted' }, intro),
    h('div', { class: 'field inline' }, h('label', { for: 'v-filter' }, 'Filter'), filter), slot));
  const draw = () => {
    const q = filter.value.trim().toLowerCase();
    const shown = rows.filter((r) => !q || r.name.toLowerCase().includes(q));
    if (!rows.length) { slot.replaceChildren(h('p', { class: 'muted', dataset: { empty: '' } }, `No ${what}s yet.`)); return; }
    slot.replaceChildren(h('div', { class: 'table-wrap' }, h('table', { class: 'grid values' },
      h('thead', null, h('tr', null, columns.map((c) => h('th', null, c)), h('th', { class: 'needs-admin' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', null, shown.map((r) => h('tr', { dataset: { name: r.name } }, row(r)))))));
  };
  filter.addEventListener('input', draw);
  const reload = async () => {
    if (!allowed()) { slot.replaceChildren(h('p', { class: 'muted', role: 'status' }, `Your key's role may not list ${what}s.`)); return; }
    try { rows = await load(); draw(); } catch (err) { slot.replaceChildren(refused(err, `list ${what}s`)); }
  };
  return { reload };
}

async function ask(title, { name, secret }) {
  return dialog({
    title, confirm: 'Save',
    fields: [
      ...(name === undefined ? [{ name: 'name', label: 'Name (letters, digits, _ and -)', required: true }] : []),
      { name: 'value', label: 'Value', type: secret ? 'password' : 'text', required: true },
    ],
  });
}

async function save(path, name, value, done) {
  if (!NAME.test(name)) { toast(`"${name}" is not a valid name: use letters, digits, _ and -`, 'error'); return; }
  try { await put(`${path}/${enc(name)}`, value); toast(`Saved ${name}`); await done(); } catch (err) { toast(errorText(err), 'error'); }
}

async function remove(path, name, what, done) {
  const ok = await dialog({ title: `Delete the ${what} ${name}?`, message: 'Workflows that name it will no longer find it.', confirm: 'Delete', danger: true });
  if (!ok) return;
  try { await del(`${path}/${enc(name)}`); toast(`Deleted ${name}`); await done(); } catch (err) { toast(errorText(err), 'error'); }
}

const actions = (path, name, what, secret, done) => h('td', { class: 'nowrap needs-admin' },
  h('button', { type: 'button', class: 'btn btn-small', dataset: { act: 'set' }, onclick: async () => {
    const v = await ask(`New value for ${name}`, { name, secret });
    if (v) await save(path, name, v.value, done);
  } }, 'Set value'), ' ',
  h('button', { type: 'button', class: 'btn btn-small btn-danger', dataset: { act: 'delete' }, onclick: () => remove(path, name, what, done) }, 'Delete'));

export async function renderSecrets(main) {
  document.title = 'Secrets · Podium';
  const page = valuesPage(main, {
    title: 'Secrets', what: 'secret', allowed: canSteer,
    intro: 'Workflows refer to a secret as ${workflow.secrets.NAME}. Only names are listed: a value can be replaced, never shown.',
    load: async () => ((await get('/secrets')) || []).slice().sort().map((name) => ({ name })),
    columns: ['Name'],
    row: (r) => [h('td', { class: 'mono' }, r.name), actions('/secrets', r.name, 'secret', true, () => page.reload())],
    create: async () => { const v = await ask('New secret', { secret: true }); if (v) await save('/secrets', v.name.trim(), v.value, () => page.reload()); },
  });
  await page.reload();
}

export async function renderEnvironment(main) {
  document.title = 'Environment · Podium';
  const page = valuesPage(main, {
    title: 'Environment values', what: 'environment value',
    intro: 'Workflows read these as ${workflow.env.NAME}. They are not secret: use a secret for passwords and tokens.',
    load: async () => Object.entries((await get('/environment')) || {}).sort(([a], [b]) => a.localeCompare(b)).map(([name, value]) => ({ name, value })),
    columns: ['Name', 'Value'],
    row: (r) => [h('td', { class: 'mono' }, r.name), h('td', { class: 'mono pre' }, String(r.value)), actions('/environment', r.name, 'environment value', false, () => page.reload())],
    create: async () => { const v = await ask('New environment value', {}); if (v) await save('/environment', v.name.trim(), v.value, () => page.reload()); },
  });
  await page.reload();
}
