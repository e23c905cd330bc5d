// Task search (GET /api/tasks/search-v2): by task type, status, worker, workflow id, time and free text,
// kept in the URL like the executions search; each row links to its execution and task.
import { get } from './api.js';
import { badge, errorBox, fmtDuration, fmtTime, h, pageHead } from './dom.js';
import { drawPager, PRESETS, quote, SIZES, timeClauses } from './paging.js';

export const TASK_STATUSES = ['SCHEDULED', 'IN_PROGRESS', 'COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED', 'FAILED_WITH_TERMINAL_ERROR', 'TIMED_OUT', 'CANCELED', 'SKIPPED'];
const SORTS = ['updateTime', 'taskType', 'status', 'startTime'];

function readFilters(q) {
  const list = (k) => (q.get(k) || '').split(',').map((s) => s.trim()).filter(Boolean);
  const sort = q.get('sort') || 'updateTime:DESC';
  return {
    type: list('type'), status: list('status').filter((s) => TASK_STATUSES.includes(s)),
    worker: q.get('worker') || '', wid: q.get('wid') || '', q: q.get('q') || '',
    range: q.get('range') || '', from: q.get('from') || '', to: q.get('to') || '',
    page: Math.max(1, parseInt(q.get('page') || '1', 10) || 1),
    size: SIZES.includes(+q.get('size')) ? +q.get('size') : 25,
    sort: SORTS.includes(sort.split(':')[0]) ? sort : 'updateTime:DESC',
  };
}

function toSearch(f) {
  const p = new URLSearchParams();
  if (f.type.length) p.set('type', f.type.join(','));
  if (f.status.length) p.set('status', f.status.join(','));
  for (const k of ['worker', 'wid', 'range', 'from', 'to', 'q']) if (f[k]) p.set(k, f[k]);
  if (f.page > 1) p.set('page', String(f.page));
  if (f.size !== 25) p.set('size', String(f.size));
  if (f.sort !== 'updateTime:DESC') p.set('sort', f.sort);
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** The task search `query` for the filters; withStatus=false leaves the status clause out (for the counts). */
export function taskQuery(f, withStatus = true, now = Date.now()) {
  const c = [];
  if (f.type.length) c.push(`taskType IN (${f.type.map(quote).join(',')})`);
  if (withStatus && f.status.length) c.push(`status IN (${f.status.join(',')})`);
  if (f.worker) c.push(`workerId = ${quote(f.worker)}`);
  if (f.wid) c.push(`workflowId = ${quote(f.wid)}`);
  c.push(...timeClauses('updateTime', f, now));
  return c.join(' AND ');
}

export async function render(main, ctx) {
  const f = readFilters(ctx.query);
  document.title = 'Tasks · Podium';
  const typeIn = h('input', { id: 't-type', type: 'text', list: 't-types', value: f.type.join(', '), placeholder: 'any', autocomplete: 'off' });
  const types = h('datalist', { id: 't-types' });
  const workerIn = h('input', { id: 't-worker', type: 'text', value: f.worker, placeholder: 'e.g. host-1 (* wildcard)', autocomplete: 'off' });
  const widIn = h('input', { id: 't-wid', type: 'text', value: f.wid, placeholder: 'execution id', autocomplete: 'off' });
  const textIn = h('input', { id: 't-text', type: 'search', value: f.q, placeholder: 'search inputs, outputs, reasons…', 'data-shortcut': 'search', autocomplete: 'off' });
  const rangeIn = h('select', { id: 't-range' }, PRESETS.map(([v, l]) => h('option', { value: v, selected: v === f.range }, l)), h('option', { value: 'custom', selected: !f.range && !!(f.from || f.to) }, 'Custom range'));
  const fromIn = h('input', { id: 't-from', type: 'datetime-local', value: f.from });
  const toIn = h('input', { id: 't-to', type: 'datetime-local', value: f.to });
  const custom = h('div', { class: 'custom-range' }, h('div', { class: 'field' }, h('label', { for: 't-from' }, 'From'), fromIn), h('div', { class: 'field' }, h('label', { for: 't-to' }, 'To'), toIn));
  const showCustom = () => { custom.hidden = rangeIn.value !== 'custom'; };
  rangeIn.addEventListener('change', showCustom);
  showCustom();
  const chips = h('div', { class: 'chips', role: 'group', 'aria-label': 'Task status' }, TASK_STATUSES.map((s) =>
    h('button', { type: 'button', class: `chip s-${s}`, 'aria-pressed': String(f.status.includes(s)), dataset: { status: s }, onclick: (e) => {
      const chip = e.currentTarget;
      chip.setAttribute('aria-pressed', String(chip.getAttribute('aria-pressed') !== 'true'));
      apply(1);
    } }, s.replace(/_/g, ' '), h('span', { class: 'chip-count' }, '…'))));
  const form = h('form', { class: 'filters', role: 'search', onsubmit: (e) => { e.preventDefault(); apply(1); } },
    h('div', { class: 'field' }, h('label', { for: 't-type' }, 'Task type'), typeIn, types),
    h('div', { class: 'field' }, h('label', { for: 't-worker' }, 'Worker id'), workerIn),
    h('div', { class: 'field' }, h('label', { for: 't-wid' }, 'Execution id'), widIn),
    h('div', { class: 'field grow' }, h('label', { for: 't-text' }, 'Free text'), textIn),
    h('div', { class: 'field' }, h('label', { for: 't-range' }, 'Last updated'), rangeIn),
    custom,
    h('div', { class: 'field field-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Search'),
      h('button', { type: 'button', class: 'btn', onclick: () => ctx.navigate('/tasks') }, 'Clear')));
  const table = h('table', { class: 'grid tasks-found' });
  const summary = h('p', { class: 'muted', role: 'status' }, 'Searching…');
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  const errorSlot = h('div');
  main.append(h('div', { class: 'pad' },
    pageHead('Tasks', h('button', { type: 'button', class: 'btn', onclick: () => run() }, 'Refresh')),
    form, chips, errorSlot, summary, h('div', { class: 'table-wrap' }, table), pager));
  get('/metadata/taskdefs').then((list) => types.replaceChildren(...(list || []).map((d) => h('option', { value: d.name })))).catch(() => {});

  function apply(page) {
    const custom = rangeIn.value === 'custom';
    Object.assign(f, {
      type: typeIn.value.split(',').map((s) => s.trim()).filter(Boolean),
      status: [...chips.querySelectorAll('[aria-pressed=true]')].map((c) => c.dataset.status),
      worker: workerIn.value.trim(), wid: widIn.value.trim(), q: textIn.value.trim(),
      range: custom ? '' : rangeIn.value, from: custom ? fromIn.value : '', to: custom ? toIn.value : '', page,
    });
    history.pushState(null, '', `/tasks${toSearch(f)}`);
    run();
  }

  function sortBy(field) {
    f.sort = f.sort === `${field}:DESC` ? `${field}:ASC` : `${field}:DESC`;
    apply(1);
  }

  function sortHeader(field, label) {
    const dir = f.sort === `${field}:DESC` ? 'descending' : f.sort === `${field}:ASC` ? 'ascending' : 'none';
    return h('th', { 'aria-sort': dir }, h('button', { type: 'button', class: 'th-sort', onclick: () => sortBy(field) }, label, dir === 'none' ? '' : dir === 'descending' ? ' ▼' : ' ▲'));
  }

  function draw(tasks) {
    const head = h('thead', null, h('tr', null, sortHeader('taskType', 'Task type'), h('th', null, 'Reference'), sortHeader('status', 'Status'),
      h('th', null, 'Workflow'), h('th', null, 'Execution'), h('th', null, 'Worker'), sortHeader('startTime', 'Started'), sortHeader('updateTime', 'Updated'),
      h('th', null, 'Duration'), h('th', null, 'Reason')));
    const body = h('tbody', null, tasks.map((t) => {
      const exec = `/execution/${encodeURIComponent(t.workflowInstanceId)}?task=${encodeURIComponent(t.iteration > 0 ? t.referenceTaskName.replace(/__\d+$/, '') : t.referenceTaskName)}`;
      return h('tr', { dataset: { task: t.taskId, wid: t.workflowInstanceId } },
        h('td', null, h('span', { class: 'wf-name' }, t.taskType)),
        h('td', { class: 'mono' }, t.referenceTaskName),
        h('td', null, badge(t.status)),
        h('td', null, t.workflowType || ''),
        h('td', { class: 'mono' }, h('a', { href: exec }, t.workflowInstanceId)),
        h('td', { class: 'mono' }, t.workerId || ''),
        h('td', { class: 'nowrap' }, fmtTime(t.startTime)),
        h('td', { class: 'nowrap' }, fmtTime(t.updateTime)),
        h('td', { class: 'nowrap' }, t.startTime ? fmtDuration((t.endTime || Date.now()) - t.startTime) : ''),
        h('td', { class: 'reason', title: t.reasonForIncompletion || '' }, t.reasonForIncompletion || ''));
    }));
    table.replaceChildren(head, body);
  }

  let runs = 0; // a newer search makes an older one's answers stale: they are dropped
  async function run() {
    const mine = ++runs;
    delete table.dataset.loaded;
    summary.textContent = 'Searching…';
    errorSlot.replaceChildren();
    const counts = TASK_STATUSES.map((s) => get('/tasks/search', { query: taskQuery({ ...f, status: [s] }), freeText: f.q || '*', start: 0, size: 0 }, { signal: ctx.signal })
      .then((r) => r.totalHits, () => '?'));
    try {
      const res = await get('/tasks/search-v2', { query: taskQuery(f), freeText: f.q || '*', sort: f.sort, start: (f.page - 1) * f.size, size: f.size }, { signal: ctx.signal });
      if (mine !== runs) return;
      const tasks = res.results || [];
      const total = res.totalHits || 0;
      draw(tasks);
      const first = total ? (f.page - 1) * f.size + 1 : 0;
      summary.textContent = total ? `Showing ${first}–${first + tasks.length - 1} of ${total} tasks` : 'No tasks match these filters.';
      drawPager(pager, { page: f.page, size: f.size, total, sizeId: 't-size', onPage: (n) => apply(n), onSize: (s) => { f.size = s; apply(1); } });
    } catch (err) {
      if (err.name === 'AbortError' || mine !== runs) return;
      summary.textContent = '';
      errorSlot.replaceChildren(errorBox(err));
      draw([]);
    }
    const n = await Promise.all(counts);
    if (mine !== runs) return;
    TASK_STATUSES.forEach((s, i) => { chips.querySelector(`[data-status=${s}] .chip-count`).textContent = String(n[i]); });
    table.dataset.loaded = location.search || '?';
  }

  draw([]);
  await run();
}
