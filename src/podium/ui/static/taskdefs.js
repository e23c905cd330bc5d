// Task definitions: list, edit (PUT), create (POST) with validation errors pinned to their lines.
import { Api, ApiError } from './api.js';
import { dialog, h, pageHead, toast } from './dom.js';
import { deleteButton } from './delete-def.js';
import { jsonEditor, sendFromEditor } from './editor.js';

const COLUMNS = ['Name', 'Description', 'Retries', 'Retry logic', 'Timeout (s)', 'Response timeout (s)', 'Timeout policy', 'Concurrency', 'Rate limit', 'Owner'];

export async function render(main, ctx) {
  const name = ctx.params[0];
  if (name || ctx.query.get('new')) return edit(main, ctx, name, ctx.query.get('new'));
  document.title = 'Task definitions · Podium';
  const defs = ((await Api.taskDefs()) || []).sort((a, b) => a.name.localeCompare(b.name));
  const filter = h('input', { type: 'search', id: 'td-filter', placeholder: 'filter by name or description', 'data-shortcut': 'search', autocomplete: 'off' });
  const tbody = h('tbody');
  const draw = () => {
    const q = filter.value.trim().toLowerCase();
    tbody.replaceChildren(...defs.filter((d) => !q || d.name.toLowerCase().includes(q) || (d.description || '').toLowerCase().includes(q)).map((d) => h('tr', { dataset: { name: d.name } },
      h('td', null, h('a', { class: 'wf-name', href: `/taskdefs/${encodeURIComponent(d.name)}` }, d.name)),
      h('td', null, d.description || ''), h('td', null, String(d.retryCount ?? 3)), h('td', null, d.retryLogic || 'FIXED'),
      h('td', null, String(d.timeoutSeconds ?? 0)), h('td', null, String(d.responseTimeoutSeconds ?? 3600)), h('td', null, d.timeoutPolicy || 'TIME_OUT_WF'),
      h('td', null, d.concurrentExecLimit ? String(d.concurrentExecLimit) : '—'),
      h('td', null, d.rateLimitPerFrequency ? `${d.rateLimitPerFrequency} / ${d.rateLimitFrequencyInSeconds || 1} s` : '—'),
      h('td', null, d.ownerEmail || ''))));
  };
  filter.addEventListener('input', draw);
  const create = async () => {
    const v = await dialog({ title: 'New task definition', fields: [{ name: 'name', label: 'Name (the task type workers poll)', required: true }], confirm: 'Create' });
    if (v && v.name.trim()) ctx.navigate(`/taskdefs?new=${encodeURIComponent(v.name.trim())}`);
  };
  main.append(h('div', { class: 'pad' },
    pageHead('Task definitions', h('button', { type: 'button', class: 'btn btn-primary needs-admin', onclick: create }, 'New task definition')),
    h('div', { class: 'field inline' }, h('label', { for: 'td-filter' }, 'Filter'), filter),
    defs.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'grid' }, h('thead', null, h('tr', null, COLUMNS.map((c) => h('th', null, c)))), tbody))
      : h('p', { class: 'muted' }, 'No task definitions yet.')));
  draw();
}

async function edit(main, ctx, name, newName) {
  const creating = !name;
  const def = creating
    ? { name: newName, description: '', retryCount: 3, retryLogic: 'FIXED', retryDelaySeconds: 60, timeoutSeconds: 0, timeoutPolicy: 'TIME_OUT_WF', responseTimeoutSeconds: 3600, inputKeys: [], outputKeys: [] }
    : await Api.taskDefs().then((all) => (all || []).find((d) => d.name === name)).then((d) => d || Promise.reject(new ApiError(404, { message: `No task definition named ${name}` })));
  document.title = `${def.name} · Task definitions · Podium`;
  const ed = jsonEditor({ text: JSON.stringify(def, null, 2), label: 'Task definition JSON', id: 'taskdef-editor' });
  const status = h('div', { role: 'status', 'aria-live': 'polite' });
  const save = async () => {
    const v = await sendFromEditor(ed, status, (d) => (creating ? Api.createTaskDef(d) : Api.updateTaskDef(d)), normalise);
    if (v === null) return;
    toast(`Saved ${v.name}`);
    ctx.navigate(`/taskdefs/${encodeURIComponent(v.name)}`, { replace: creating });
  };
  main.append(h('div', { class: 'pad' },
    h('div', { class: 'crumbs' }, h('a', { href: '/taskdefs' }, 'Task definitions'), ' / ', def.name),
    pageHead(creating ? `New task definition: ${def.name}` : def.name,
      h('button', { type: 'button', class: 'btn btn-primary needs-admin', dataset: { act: 'save' }, onclick: save }, creating ? 'Create' : 'Save'),
      creating ? null : deleteButton({ kind: 'task', name: def.name, ctx, after: '/taskdefs' })),
    h('div', { class: 'delete-slot' }), status, ed.el));
}

// Bulk registration reports paths like `[0].retryCount` or `taskDefs[0].retryCount`; the editor holds one object.
const normalise = (p) => (p || '').replace(/^(?:\w+)?\[0\]\.?/, '');
