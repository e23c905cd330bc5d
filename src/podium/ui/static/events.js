// Event handlers: list and edit (GET/POST/PUT/DELETE /api/event). A server without them answers 404.
import { Api, ApiError } from './api.js';
import { dialog, errorBox, h, pageHead, toast } from './dom.js';
import { jsonEditor, sendFromEditor } from './editor.js';

function unavailable(err) {
  return h('div', { class: 'card' }, h('p', null, 'Event handlers are not available on this server.'),
    h('p', { class: 'muted small' }, `GET /api/event answered ${err.status}: ${err.message}`));
}

export async function render(main, ctx) {
  const name = ctx.params[0];
  if (name || ctx.query.get('new')) return edit(main, ctx, name, ctx.query.get('new'));
  document.title = 'Event handlers · Podium';
  const box = h('div', { class: 'pad' });
  main.append(box);
  let handlers;
  const create = async () => {
    const v = await dialog({ title: 'New event handler', fields: [{ name: 'name', label: 'Name', required: true }], confirm: 'Create' });
    if (v && v.name.trim()) ctx.navigate(`/eventhandlers?new=${encodeURIComponent(v.name.trim())}`);
  };
  try {
    handlers = (await Api.eventHandlers()) || [];
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 405)) { box.append(pageHead('Event handlers'), unavailable(err)); return; }
    throw err;
  }
  handlers.sort((a, b) => a.name.localeCompare(b.name));
  box.append(pageHead('Event handlers', h('button', { type: 'button', class: 'btn btn-primary needs-admin', onclick: create }, 'New event handler')),
    handlers.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'grid' },
      h('thead', null, h('tr', null, ['Name', 'Event', 'Active', 'Condition', 'Actions'].map((c) => h('th', null, c)))),
      h('tbody', null, handlers.map((e) => h('tr', { dataset: { name: e.name } },
        h('td', null, h('a', { class: 'wf-name', href: `/eventhandlers/${encodeURIComponent(e.name)}` }, e.name)),
        h('td', { class: 'mono' }, e.event || ''), h('td', null, e.active ? 'yes' : 'no'),
        h('td', { class: 'mono' }, e.condition || ''),
        h('td', null, (e.actions || []).map((a) => a.action).join(', ')))))))
      : h('p', { class: 'muted' }, 'No event handlers yet.'));
}

async function edit(main, ctx, name, newName) {
  const creating = !name;
  let handler;
  if (creating) {
    handler = { name: newName, event: `conductor:${newName}`, condition: '', evaluatorType: 'javascript', active: true,
      actions: [{ action: 'start_workflow', start_workflow: { name: '', input: {} }, expandInlineJSON: false }] };
  } else {
    try {
      handler = ((await Api.eventHandlers()) || []).find((e) => e.name === name);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) { main.append(h('div', { class: 'pad' }, pageHead(name), unavailable(err))); return; }
      throw err;
    }
    if (!handler) throw new ApiError(404, { message: `No event handler named ${name}` });
  }
  document.title = `${handler.name} · Event handlers · Podium`;
  const ed = jsonEditor({ text: JSON.stringify(handler, null, 2), label: 'Event handler JSON', id: 'event-editor' });
  const status = h('div', { role: 'status', 'aria-live': 'polite' });
  const save = async () => {
    const v = await sendFromEditor(ed, status, (d) => (creating ? Api.createEventHandler(d) : Api.updateEventHandler(d)));
    if (v === null) return;
    toast(`Saved ${v.name}`);
    ctx.navigate(`/eventhandlers/${encodeURIComponent(v.name)}`, { replace: creating });
  };
  const remove = async () => {
    const ok = await dialog({ title: `Delete ${handler.name}?`, message: 'The handler stops reacting to events.', confirm: 'Delete', danger: true });
    if (!ok) return;
    try { await Api.deleteEventHandler(handler.name); toast(`Deleted ${handler.name}`); ctx.navigate('/eventhandlers'); } catch (err) { status.replaceChildren(errorBox(err)); }
  };
  main.append(h('div', { class: 'pad' },
    h('div', { class: 'crumbs' }, h('a', { href: '/eventhandlers' }, 'Event handlers'), ' / ', handler.name),
    pageHead(creating ? `New event handler: ${handler.name}` : handler.name,
      creating ? null : h('button', { type: 'button', class: 'btn btn-danger needs-admin', onclick: remove }, 'Delete'),
      h('button', { type: 'button', class: 'btn btn-primary needs-admin', dataset: { act: 'save' }, onclick: save }, creating ? 'Create' : 'Save')),
    status, ed.el));
}
