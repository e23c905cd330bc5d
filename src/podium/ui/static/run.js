// A definition's Run tab: the run form (optionally prefilled from an earlier execution: "run again with
// this input") and the run history, the latest executions of that workflow name.
import { Api, get } from './api.js';
import { badge, errorBox, errorText, fmtDuration, fmtTime, h, toast } from './dom.js';

const HISTORY = 10;

function parseLoose(text) {
  const s = text.trim();
  if (s === '') return undefined;
  if (/^(?:[{["\d-]|true$|false$|null$)/.test(s)) { try { return JSON.parse(s); } catch { /* a plain string */ } }
  return text;
}

const shown = (v) => (typeof v === 'string' && parseLoose(v) === v ? v : JSON.stringify(v));

/** The link that opens a definition's Run tab prefilled with an execution's input. */
export const runAgainHref = (wf) =>
  `/workflows/${encodeURIComponent(wf.workflowName || wf.workflowType)}?version=${wf.workflowVersion || wf.version || 1}&tab=run&from=${encodeURIComponent(wf.workflowId)}`;

/** The Run tab: form and history. `from` is the id of an execution whose input fills the form. */
export function runTab(def, ctx) {
  const el = h('div', { class: 'run-tab' });
  const form = runForm(def, ctx);
  const history = h('section', { class: 'run-history', 'aria-labelledby': 'run-history-title' }, h('h2', { id: 'run-history-title' }, 'Run history'), h('p', { class: 'muted' }, 'Loading…'));
  el.append(form.el, history);
  const from = ctx.query.get('from');
  if (from) {
    Api.workflow(from, ctx.signal).then((wf) => form.fill(wf), (err) => { if (err.name !== 'AbortError') form.status(errorBox(err)); });
  }
  loadHistory(def, history, ctx);
  return el;
}

async function loadHistory(def, section, ctx) {
  const title = section.firstChild;
  try {
    const res = await get('/workflow/search', { query: `workflowType = ${JSON.stringify(def.name)}`, sort: 'startTime:DESC', start: 0, size: HISTORY, freeText: '*' }, { signal: ctx.signal });
    const rows = res.results || [];
    if (!rows.length) { section.replaceChildren(title, h('p', { class: 'muted' }, `${def.name} has not run yet.`)); return; }
    section.replaceChildren(title,
      h('p', { class: 'muted' }, `The latest ${rows.length} of ${res.totalHits} executions of ${def.name}, all versions. `, h('a', { href: `/?name=${encodeURIComponent(def.name)}` }, 'Search them all')),
      h('div', { class: 'table-wrap' }, h('table', { class: 'grid compact run-history-table' },
        h('thead', null, h('tr', null, ['Execution', 'Version', 'Status', 'Started', 'Duration', 'Input', ''].map((c) => h('th', null, c)))),
        h('tbody', null, rows.map((r) => h('tr', { dataset: { id: r.workflowId } },
          h('td', { class: 'mono' }, h('a', { href: `/execution/${encodeURIComponent(r.workflowId)}` }, r.workflowId)),
          h('td', null, `v${r.version}`),
          h('td', null, badge(r.status)),
          h('td', { class: 'nowrap' }, fmtTime(r.startTime)),
          h('td', { class: 'nowrap' }, fmtDuration(r.executionTime || (['RUNNING', 'PAUSED'].includes(r.status) ? Date.now() - Date.parse(r.startTime) : 0))),
          h('td', { class: 'mono reason-like', title: r.input || '' }, r.input || ''),
          h('td', { class: 'nowrap needs-write' }, h('a', { href: runAgainHref({ workflowName: r.workflowType, workflowVersion: r.version, workflowId: r.workflowId }), dataset: { act: 'run-again' } }, 'Run again'))))))));
  } catch (err) {
    if (err.name !== 'AbortError') section.replaceChildren(title, errorBox(err));
  }
}

function runForm(def, ctx) {
  const params = (def.inputParameters || []).filter((p) => typeof p === 'string');
  const inputs = params.map((p, i) => ({ name: p, el: h('input', { type: 'text', id: `run-in-${i}`, 'data-param': p, autocomplete: 'off', placeholder: 'text, number or JSON' }) }));
  const extra = h('textarea', { id: 'run-json', class: 'mono', rows: 6, spellcheck: 'false' });
  extra.value = '{}';
  const cid = h('input', { type: 'text', id: 'run-cid', autocomplete: 'off' });
  const prio = h('input', { type: 'number', id: 'run-priority', min: 0, max: 99, value: 0 });
  const out = h('div', { role: 'status', 'aria-live': 'polite' });
  const note = h('div', { class: 'run-from', 'aria-live': 'polite' });
  const form = h('form', { class: 'card run-form needs-write', onsubmit: async (e) => {
    e.preventDefault();
    out.replaceChildren();
    let input;
    try { input = JSON.parse(extra.value || '{}'); } catch (err) { out.replaceChildren(errorBox(new Error(`Input JSON: ${err.message}`))); extra.focus(); return; }
    if (!input || typeof input !== 'object' || Array.isArray(input)) { out.replaceChildren(errorBox(new Error('Input JSON must be an object'))); return; }
    for (const i of inputs) { const v = parseLoose(i.el.value); if (v !== undefined) input[i.name] = v; }
    const req = { name: def.name, version: def.version || 1, input, priority: +prio.value || 0 };
    if (cid.value.trim()) req.correlationId = cid.value.trim();
    try {
      const id = await Api.start(req);
      toast(`Started ${def.name}`);
      ctx.navigate(`/execution/${encodeURIComponent(id)}`);
    } catch (err) { out.replaceChildren(errorBox(err)); toast(errorText(err), 'error'); }
  } },
  h('h2', null, `Run ${def.name} v${def.version || 1}`), note,
  params.length ? h('div', { class: 'form-grid' }, inputs.map((i) => h('div', { class: 'field' }, h('label', { for: i.el.id }, i.name), i.el))) : h('p', { class: 'muted' }, 'The definition declares no input parameters; give the input as JSON below.'),
  h('div', { class: 'field' }, h('label', { for: 'run-json' }, params.length ? 'More input (JSON object, merged under the fields above)' : 'Input (JSON object)'), extra),
  h('div', { class: 'form-grid' }, h('div', { class: 'field' }, h('label', { for: 'run-cid' }, 'Correlation id'), cid), h('div', { class: 'field' }, h('label', { for: 'run-priority' }, 'Priority (0-99)'), prio)),
  h('div', { class: 'page-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Start execution')), out);

  /** Prefill from an execution: declared parameters go to their fields, the rest to the JSON box. */
  function fill(wf) {
    const input = { ...(wf.input || {}) };
    for (const i of inputs) {
      if (i.name in input) { i.el.value = shown(input[i.name]); delete input[i.name]; } else i.el.value = '';
    }
    extra.value = JSON.stringify(input, null, 2);
    cid.value = wf.correlationId || '';
    prio.value = String(wf.priority || 0);
    note.replaceChildren(h('p', { class: 'ok-box' }, 'Input copied from execution ', h('a', { class: 'mono', href: `/execution/${encodeURIComponent(wf.workflowId)}` }, wf.workflowId), '. Change anything, then start.'));
  }
  return { el: form, fill, status: (node) => out.replaceChildren(node) };
}
