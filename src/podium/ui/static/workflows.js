// Workflow definitions: the list (latest version of each name, with its version count).
import { Api } from './api.js';
import { dialog, fmtTime, h, pageHead } from './dom.js';

export async function render(main, ctx) {
  if (ctx.query.get('new')) {
    const mod = await import('./workflow-def.js');
    return mod.renderNew(main, ctx);
  }
  document.title = 'Workflows · Podium';
  const defs = (await Api.workflowDefs()) || [];
  const byName = new Map();
  for (const d of defs) {
    const e = byName.get(d.name) || { name: d.name, versions: [], latest: d };
    e.versions.push(d.version || 1);
    if ((d.version || 1) >= (e.latest.version || 1)) e.latest = d;
    byName.set(d.name, e);
  }
  const rows = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  const filter = h('input', { type: 'search', id: 'wf-filter', placeholder: 'filter by name or description', 'data-shortcut': 'search', autocomplete: 'off' });
  const tbody = h('tbody');
  const draw = () => {
    const q = filter.value.trim().toLowerCase();
    tbody.replaceChildren(...rows.filter((r) => !q || r.name.toLowerCase().includes(q) || (r.latest.description || '').toLowerCase().includes(q)).map((r) => h('tr', { dataset: { name: r.name } },
      h('td', null, h('a', { class: 'wf-name', href: `/workflows/${encodeURIComponent(r.name)}` }, r.name)),
      h('td', null, String(r.latest.version || 1)),
      h('td', null, r.versions.sort((a, b) => a - b).join(', ')),
      h('td', null, r.latest.description || ''),
      h('td', null, String((r.latest.tasks || []).length)),
      h('td', { class: 'nowrap' }, fmtTime(r.latest.updateTime || r.latest.createTime)),
      h('td', { class: 'nowrap' }, h('a', { href: `/?name=${encodeURIComponent(r.name)}` }, 'Executions'), ' · ',
        h('a', { class: 'needs-write', href: `/workflows/${encodeURIComponent(r.name)}?tab=run` }, 'Run')))));
  };
  filter.addEventListener('input', draw);
  const create = async () => {
    const v = await dialog({ title: 'New workflow definition', fields: [{ name: 'name', label: 'Name', required: true }], confirm: 'Create' });
    if (v && v.name.trim()) ctx.navigate(`/workflows?new=${encodeURIComponent(v.name.trim())}`);
  };
  main.append(h('div', { class: 'pad' },
    pageHead('Workflow definitions', h('button', { type: 'button', class: 'btn btn-primary needs-admin', onclick: create }, 'New workflow')),
    h('div', { class: 'field inline' }, h('label', { for: 'wf-filter' }, 'Filter'), filter),
    rows.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'grid' },
      h('thead', null, h('tr', null, ['Name', 'Latest', 'Versions', 'Description', 'Tasks', 'Updated', ''].map((c) => h('th', null, c)))), tbody))
      : h('p', { class: 'muted' }, 'No workflow definitions yet.')));
  draw();
}
