// Executions search: filters kept in the URL, status chips with counts, paging, bulk actions.
import { Api, get } from './api.js';
import { badge, dialog, errorBox, errorText, fmtDuration, fmtTime, h, pageHead, toast } from './dom.js';
import { drawPager, PRESETS, quote, SIZES, timeClauses } from './paging.js';

export const STATUSES = ['RUNNING', 'PAUSED', 'COMPLETED', 'FAILED', 'TIMED_OUT', 'TERMINATED'];
const AUTO_MS = 10000;
/** Columns the chooser may hide: [id, heading]; the execution id is always shown. */
const COLUMNS = [['workflow', 'Workflow'], ['status', 'Status'], ['started', 'Started'], ['ended', 'Ended'], ['duration', 'Duration'], ['cid', 'Correlation id'], ['reason', 'Reason']];
const COLUMNS_KEY = 'podium.executions.columns';

function shownColumns() {
  try {
    const v = JSON.parse(localStorage.getItem(COLUMNS_KEY) || 'null');
    if (Array.isArray(v)) return new Set(v.filter((c) => COLUMNS.some(([id]) => id === c)));
  } catch { /* unreadable: the default */ }
  return new Set(COLUMNS.map(([id]) => id));
}
const BULK_ACTIONS = [
  ['pause', 'Pause'], ['resume', 'Resume'], ['retry', 'Retry'], ['restart', 'Restart'],
  ['terminate', 'Terminate'], ['delete', 'Delete'],
];

/** Filters as read from / written to the URL. */
export function readFilters(q) {
  const list = (k) => (q.get(k) || '').split(',').map((s) => s.trim()).filter(Boolean);
  return {
    name: list('name'), status: list('status').filter((s) => STATUSES.includes(s)),
    from: q.get('from') || '', to: q.get('to') || '', range: q.get('range') || '',
    cid: q.get('cid') || '', wid: q.get('wid') || '', q: q.get('q') || '',
    page: Math.max(1, parseInt(q.get('page') || '1', 10) || 1),
    size: SIZES.includes(+q.get('size')) ? +q.get('size') : 25,
    sort: q.get('sort') || 'startTime:DESC',
  };
}

function toSearch(f) {
  const p = new URLSearchParams();
  if (f.name.length) p.set('name', f.name.join(','));
  if (f.status.length) p.set('status', f.status.join(','));
  for (const k of ['range', 'from', 'to', 'cid', 'wid', 'q']) if (f[k]) p.set(k, f[k]);
  if (f.page > 1) p.set('page', String(f.page));
  if (f.size !== 25) p.set('size', String(f.size));
  if (f.sort !== 'startTime:DESC') p.set('sort', f.sort);
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** The search `query` for the filters; withStatus=false leaves the status clause out (for the counts). */
export function buildQuery(f, withStatus = true, now = Date.now()) {
  const clauses = [];
  if (f.name.length) clauses.push(`workflowType IN (${f.name.map(quote).join(',')})`);
  if (withStatus && f.status.length) clauses.push(`status IN (${f.status.join(',')})`);
  clauses.push(...timeClauses('startTime', f, now));
  if (f.cid) clauses.push(`correlationId = ${quote(f.cid)}`);
  if (f.wid) clauses.push(`workflowId = ${quote(f.wid)}`);
  return clauses.join(' AND ');
}

export async function render(main, ctx) {
  const f = readFilters(ctx.query);
  document.title = 'Executions · Podium';
  const selected = new Set();
  let results = [];

  // -- filter form -------------------------------------------------------------------------------
  const nameIn = h('input', { id: 'f-name', type: 'text', list: 'wf-names', value: f.name.join(', '), placeholder: 'any', autocomplete: 'off' });
  const names = h('datalist', { id: 'wf-names' });
  const cidIn = h('input', { id: 'f-cid', type: 'text', value: f.cid, placeholder: 'e.g. order-42 (* wildcard)', autocomplete: 'off' });
  const widIn = h('input', { id: 'f-wid', type: 'text', value: f.wid, placeholder: 'execution id (* wildcard)', autocomplete: 'off' });
  const textIn = h('input', { id: 'f-text', type: 'search', value: f.q, placeholder: 'search inputs, outputs, ids…', 'data-shortcut': 'search', autocomplete: 'off' });
  const rangeIn = h('select', { id: 'f-range' }, PRESETS.map(([v, l]) => h('option', { value: v, selected: v === f.range }, l)), h('option', { value: 'custom', selected: !f.range && !!(f.from || f.to) }, 'Custom range'));
  const fromIn = h('input', { id: 'f-from', type: 'datetime-local', value: f.from });
  const toIn = h('input', { id: 'f-to', type: 'datetime-local', value: f.to });
  const custom = h('div', { class: 'custom-range' }, h('div', { class: 'field' }, h('label', { for: 'f-from' }, 'From'), fromIn), h('div', { class: 'field' }, h('label', { for: 'f-to' }, 'To'), toIn));
  const showCustom = () => { custom.hidden = rangeIn.value !== 'custom'; };
  rangeIn.addEventListener('change', showCustom);
  showCustom();

  const chips = h('div', { class: 'chips', role: 'group', 'aria-label': 'Status' });
  const chipEls = {};
  for (const s of STATUSES) {
    const count = h('span', { class: 'chip-count' }, '…');
    const chip = h('button', { type: 'button', class: `chip s-${s}`, 'aria-pressed': String(f.status.includes(s)), dataset: { status: s }, onclick: () => {
      const on = chip.getAttribute('aria-pressed') !== 'true';
      chip.setAttribute('aria-pressed', String(on));
      apply(1);
    } }, s.replace('_', ' '), count);
    chipEls[s] = { chip, count };
    chips.append(chip);
  }

  const form = h('form', { class: 'filters', role: 'search', onsubmit: (e) => { e.preventDefault(); apply(1); } },
    h('div', { class: 'field' }, h('label', { for: 'f-name' }, 'Workflow name'), nameIn, names),
    h('div', { class: 'field' }, h('label', { for: 'f-wid' }, 'Workflow id'), widIn),
    h('div', { class: 'field' }, h('label', { for: 'f-cid' }, 'Correlation id'), cidIn),
    h('div', { class: 'field grow' }, h('label', { for: 'f-text' }, 'Free text'), textIn),
    h('div', { class: 'field' }, h('label', { for: 'f-range' }, 'Started'), rangeIn),
    custom,
    h('div', { class: 'field field-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Search'),
      h('button', { type: 'button', class: 'btn', onclick: () => ctx.navigate('/') }, 'Clear')));

  // -- results -----------------------------------------------------------------------------------
  const bulkBar = h('div', { class: 'bulk-bar needs-write', hidden: true, role: 'region', 'aria-label': 'Bulk actions' });
  const bulkCount = h('strong', null, '');
  bulkBar.append(bulkCount, ...BULK_ACTIONS.map(([a, label]) =>
    h('button', { type: 'button', class: `btn btn-small${a === 'terminate' || a === 'delete' ? ' btn-danger' : ''}${a === 'delete' ? ' needs-admin' : ''}`, dataset: { bulk: a }, onclick: () => bulk(a, label) }, label)),
  h('button', { type: 'button', class: 'btn btn-small btn-ghost', onclick: () => { selected.clear(); drawRows(); } }, 'Clear selection'));
  const bulkResult = h('div', { class: 'bulk-result', hidden: true, role: 'region', 'aria-label': 'Bulk result' });
  const table = h('table', { class: 'grid executions' });
  const summary = h('p', { class: 'muted', role: 'status' }, 'Searching…');
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  const errorSlot = h('div');
  const shown = shownColumns();
  const chooser = h('details', { class: 'col-chooser' }, h('summary', { class: 'btn' }, 'Columns'),
    h('fieldset', { class: 'col-chooser-list' }, h('legend', null, 'Show columns'), COLUMNS.map(([id, label]) =>
      h('label', { class: 'check', for: `col-${id}` }, h('input', { type: 'checkbox', id: `col-${id}`, dataset: { col: id }, checked: shown.has(id), onchange: (e) => {
        if (e.target.checked) shown.add(id); else shown.delete(id);
        try { localStorage.setItem(COLUMNS_KEY, JSON.stringify([...shown])); } catch { /* this page only */ }
        drawRows();
      } }), ' ', label))));
  // The chooser closes on a click elsewhere or on Escape (focus back on its button).
  document.addEventListener('click', (e) => { if (chooser.open && !chooser.contains(e.target)) chooser.open = false; }, { signal: ctx.signal });
  chooser.addEventListener('keydown', (e) => { if (e.key === 'Escape' && chooser.open) { chooser.open = false; chooser.querySelector('summary').focus(); } });
  // Auto-refresh (off by default): re-runs the search, keeping the selection, while the tab is visible.
  const auto = h('input', { type: 'checkbox', id: 'f-auto', onchange: () => schedule() });
  let timer = null;
  const schedule = () => {
    clearTimeout(timer);
    if (auto.checked && !ctx.signal.aborted) timer = setTimeout(() => { if (document.hidden) schedule(); else run(); }, AUTO_MS);
  };
  ctx.signal.addEventListener('abort', () => clearTimeout(timer));

  main.append(h('div', { class: 'pad' },
    pageHead('Executions', chooser, h('label', { class: 'check', for: 'f-auto' }, auto, ` refresh every ${AUTO_MS / 1000} s`), h('button', { type: 'button', class: 'btn', onclick: () => run() }, 'Refresh')),
    form, chips, errorSlot, bulkBar, bulkResult, summary, h('div', { class: 'table-wrap' }, table), pager));

  get('/metadata/workflow/names').then((list) => names.replaceChildren(...(list || []).map((n) => h('option', { value: n })))).catch(() => {});

  function current(page) {
    const range = rangeIn.value === 'custom' ? '' : rangeIn.value;
    return {
      name: nameIn.value.split(',').map((s) => s.trim()).filter(Boolean),
      status: STATUSES.filter((s) => chipEls[s].chip.getAttribute('aria-pressed') === 'true'),
      range, from: rangeIn.value === 'custom' ? fromIn.value : '', to: rangeIn.value === 'custom' ? toIn.value : '',
      cid: cidIn.value.trim(), wid: widIn.value.trim(), q: textIn.value.trim(), page, size: f.size, sort: f.sort,
    };
  }

  function apply(page) {
    Object.assign(f, current(page));
    history.pushState(null, '', `/${toSearch(f)}`);
    run();
  }

  function sortBy(field) {
    f.sort = f.sort === `${field}:DESC` ? `${field}:ASC` : `${field}:DESC`;
    apply(1);
  }

  let runs = 0; // a newer search makes an older one's answers stale: they are dropped
  async function run() {
    const mine = ++runs;
    clearTimeout(timer);
    delete table.dataset.loaded;
    summary.textContent = 'Searching…';
    errorSlot.replaceChildren();
    const base = { freeText: f.q || '*', sort: f.sort };
    const counts = STATUSES.map((s) => {
      const q = buildQuery({ ...f, status: [s] });
      return Api.search({ ...base, query: q, start: 0, size: 0 }, ctx.signal).then((r) => r.totalHits).catch(() => '?');
    });
    try {
      const res = await Api.search({ ...base, query: buildQuery(f), start: (f.page - 1) * f.size, size: f.size }, ctx.signal);
      if (mine !== runs) return;
      results = res.results || [];
      const total = res.totalHits || 0;
      for (const id of [...selected]) if (!results.some((r) => r.workflowId === id)) selected.delete(id);
      drawRows();
      const first = total ? (f.page - 1) * f.size + 1 : 0;
      summary.textContent = total ? `Showing ${first}–${first + results.length - 1} of ${total} executions` : 'No executions match these filters.';
      drawPages(total);
    } catch (err) {
      if (err.name === 'AbortError' || mine !== runs) return;
      summary.textContent = '';
      errorSlot.replaceChildren(errorBox(err));
      results = [];
      drawRows();
    }
    const n = await Promise.all(counts);
    if (mine !== runs) return;
    STATUSES.forEach((s, i) => { chipEls[s].count.textContent = String(n[i]); });
    table.dataset.loaded = location.search || '?';
    schedule();
  }

  function sortHeader(field, label) {
    const dir = f.sort === `${field}:DESC` ? 'descending' : f.sort === `${field}:ASC` ? 'ascending' : 'none';
    return h('th', { 'aria-sort': dir }, h('button', { type: 'button', class: 'th-sort', onclick: () => sortBy(field) }, label, dir === 'none' ? '' : dir === 'descending' ? ' ▼' : ' ▲'));
  }

  function drawRows() {
    const all = h('input', { type: 'checkbox', 'aria-label': 'Select all on this page', checked: results.length > 0 && results.every((r) => selected.has(r.workflowId)), onchange: (e) => {
      for (const r of results) { if (e.target.checked) selected.add(r.workflowId); else selected.delete(r.workflowId); }
      drawRows();
    } });
    const col = (id, cell) => (shown.has(id) ? cell : null);
    const head = h('thead', null, h('tr', null, h('th', { class: 'col-check' }, all), col('workflow', sortHeader('workflowType', 'Workflow')), h('th', null, 'Execution id'),
      col('status', sortHeader('status', 'Status')), col('started', sortHeader('startTime', 'Started')), col('ended', sortHeader('endTime', 'Ended')),
      col('duration', sortHeader('executionTime', 'Duration')), col('cid', h('th', null, 'Correlation id')), col('reason', h('th', null, 'Reason'))));
    const body = h('tbody', null, results.map((r) => {
      const cb = h('input', { type: 'checkbox', 'aria-label': `Select ${r.workflowId}`, checked: selected.has(r.workflowId), onchange: (e) => {
        if (e.target.checked) selected.add(r.workflowId); else selected.delete(r.workflowId);
        drawBulkBar();
        all.checked = results.every((x) => selected.has(x.workflowId));
      } });
      const started = Date.parse(r.startTime);
      const dur = r.executionTime || (r.status === 'RUNNING' || r.status === 'PAUSED' ? Date.now() - started : 0);
      return h('tr', { dataset: { id: r.workflowId } },
        h('td', { class: 'col-check' }, cb),
        col('workflow', h('td', null, h('span', { class: 'wf-name' }, r.workflowType), h('span', { class: 'muted' }, ` v${r.version}`))),
        h('td', { class: 'mono' }, h('a', { href: `/execution/${encodeURIComponent(r.workflowId)}` }, r.workflowId)),
        col('status', h('td', null, badge(r.status))),
        col('started', h('td', { class: 'nowrap' }, fmtTime(r.startTime))),
        col('ended', h('td', { class: 'nowrap' }, fmtTime(r.endTime))),
        col('duration', h('td', { class: 'nowrap', dataset: { ms: String(dur) } }, fmtDuration(dur))),
        col('cid', h('td', { class: 'mono' }, r.correlationId || '')),
        col('reason', h('td', { class: 'reason', title: r.reasonForIncompletion || '' }, r.reasonForIncompletion || '')));
    }));
    table.replaceChildren(head, body);
    drawBulkBar();
  }

  function drawBulkBar() {
    bulkBar.hidden = selected.size === 0;
    bulkCount.textContent = `${selected.size} selected`;
  }

  function drawPages(total) {
    drawPager(pager, { page: f.page, size: f.size, total, sizeId: 'f-size', onPage: (n) => apply(n), onSize: (n) => { f.size = n; apply(1); } });
  }

  async function bulk(action, label) {
    const ids = [...selected];
    const fields = action === 'terminate' ? [{ name: 'reason', label: 'Reason (optional)', value: '' }] : [];
    if (action === 'restart') fields.push({ name: 'latest', label: 'Use the latest definitions', type: 'checkbox' });
    const ok = await dialog({
      title: `${label} ${ids.length} execution${ids.length === 1 ? '' : 's'}?`,
      message: action === 'delete' ? 'Deleted executions are removed for good.' : 'The action is applied to each selected execution.',
      fields, confirm: label, danger: action === 'terminate' || action === 'delete',
      body: h('ul', { class: 'id-list mono' }, ids.slice(0, 8).map((id) => h('li', null, id)), ids.length > 8 ? h('li', null, `… and ${ids.length - 8} more`) : null),
    });
    if (!ok) return;
    const query = action === 'terminate' ? { reason: ok.reason || undefined } : action === 'restart' ? { useLatestDefinitions: !!ok.latest } : action === 'delete' ? { archiveWorkflow: false } : undefined;
    try {
      const res = await Api.bulk(action, ids, query);
      showBulkResult(label, ids, res);
      selected.clear();
      run();
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }

  function showBulkResult(label, ids, res) {
    const errors = res.bulkErrorResults || {};
    const okSet = new Set((res.bulkSuccessfulResults || []).map(String));
    bulkResult.hidden = false;
    bulkResult.replaceChildren(
      h('div', { class: 'bulk-result-head' }, h('strong', null, `${label}: ${okSet.size} succeeded, ${Object.keys(errors).length} failed`),
        h('button', { type: 'button', class: 'btn btn-small btn-ghost', onclick: () => { bulkResult.hidden = true; } }, 'Dismiss')),
      h('ul', { class: 'bulk-items' }, ids.map((id) => h('li', { class: okSet.has(id) ? 'ok' : 'fail', dataset: { id } },
        h('span', { class: 'bulk-mark', 'aria-hidden': 'true' }, okSet.has(id) ? '✓' : '✗'), ' ',
        h('a', { class: 'mono', href: `/execution/${encodeURIComponent(id)}` }, id), ' ',
        h('span', null, okSet.has(id) ? 'done' : errors[id] || 'not processed')))));
    bulkResult.focus?.();
  }

  drawRows();
  await run();
}
