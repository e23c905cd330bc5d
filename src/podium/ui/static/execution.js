// The execution view: diagram coloured by task status, task list, timeline, data tabs, actions, and a
// task panel. Refreshes itself while the workflow is not finished.
import { Api } from './api.js';
import { badge, dialog, errorBox, errorText, esc, fmtDuration, fmtTime, h, jsonView, tabs, toast, wfTerminal } from './dom.js';
import { extraActions } from './exec-extras.js';
import { indexTasks } from './graph.js';
import { graphView, legend } from './graphview.js';
import { jsonTree } from './jsontree.js';
import { taskPanel } from './taskpanel.js';
import { timeline } from './timeline.js';

const REFRESH_MS = 2000;
const TABS = [
  { id: 'diagram', label: 'Diagram' }, { id: 'tasks', label: 'Task list' }, { id: 'timeline', label: 'Timeline' },
  { id: 'io', label: 'Input & output' }, { id: 'variables', label: 'Variables' }, { id: 'json', label: 'JSON' },
];

export async function render(main, ctx) {
  const id = ctx.params[0];
  const t0 = performance.now();
  let wf = await Api.workflow(id, ctx.signal);
  const fetchedMs = performance.now() - t0;
  let selected = ctx.query.get('task') || null;
  const panelState = { tab: 'summary', recordId: null };
  let timer = null;
  let signature = '';

  const head = h('div', { class: 'exec-head' });
  const actions = h('div', { class: 'page-actions exec-actions', role: 'toolbar', 'aria-label': 'Execution actions' });
  const live = h('span', { class: 'live', 'aria-live': 'polite' });
  const panelSlot = h('div', { class: 'panel-slot' });
  const graph = graphView({ onSelect: (key) => select(key) });
  const diagram = h('div', { class: 'diagram' }, h('div', { class: 'diagram-top' }, legend()), graph.el);
  // One view per tab, made on first show and updated in place afterwards: a refresh changes what
  // changed and leaves filters, scroll, selection, focus and zoom alone.
  const views = new Map();
  let panelView = null; // {el, key, sig}
  let headSig = ''; let actionSig = '';
  const t = tabs(TABS, (tab, panel) => fillTab(tab, panel), {
    initial: ctx.query.get('tab') || 'diagram', label: 'Execution',
    onChange: (tab) => setUrl({ tab: tab === 'diagram' ? null : tab }),
  });
  const body = h('div', { class: 'exec-body' }, h('div', { class: 'exec-main' }, t.el), panelSlot);
  main.append(h('div', { class: 'pad exec' }, head, h('div', { class: 'exec-bar' }, actions, live), body));
  resizablePanel(panelSlot, ctx.signal);

  function setUrl(changes) {
    const q = new URLSearchParams(location.search);
    for (const [k, v] of Object.entries(changes)) { if (v) q.set(k, v); else q.delete(k); }
    const s = q.toString();
    history.replaceState(null, '', `${location.pathname}${s ? '?' + s : ''}`);
  }

  function makeView(tab, panel) {
    switch (tab) {
      case 'diagram': return { el: diagram, update: () => {} };
      case 'tasks': return taskList(() => wf, select, () => selected);
      case 'timeline': return swapView(() => timeline(wf, { onSelect: (key, taskId) => select(key, taskId), selected: panelState.recordId, width: Math.max(700, panel.clientWidth || main.clientWidth - 40) }),
        () => `${sig(wf)}|${panelState.recordId}`);
      case 'io': return swapView(() => h('div', { class: 'two-col' }, h('section', null, h('h3', null, 'Input'), jsonView(wf.input || {}, { label: 'Workflow input' })),
        h('section', null, h('h3', null, 'Output'), jsonView(wf.output || {}, { label: 'Workflow output' }))), () => JSON.stringify([wf.input, wf.output]));
      case 'variables': return swapView(() => jsonView(wf.variables || {}, { label: 'Workflow variables' }), () => JSON.stringify(wf.variables || {}));
      case 'json': {
        const tree = jsonTree(wf, { label: 'Workflow JSON', openDepth: 1 });
        let last = `${wf.updateTime}|${sig(wf)}`;
        return { el: tree.el, update: () => { const s = `${wf.updateTime}|${sig(wf)}`; if (s !== last) { last = s; tree.update(wf); } } };
      }
      default: return { el: h('div'), update: () => {} };
    }
  }

  function fillTab(tab, panel) {
    let v = views.get(tab);
    if (!v) { v = makeView(tab, panel); views.set(tab, v); } else v.update();
    panel.append(v.el);
    if (tab === 'diagram') graph.fitLabels();
  }

  function drawHead() {
    document.title = `${wf.workflowName || wf.workflowType} · ${wf.status} · Podium`;
    const start = wf.startTime || wf.createTime;
    const dur = start ? (wf.endTime || Date.now()) - start : undefined;
    const def = wf.workflowDefinition || {};
    const s = JSON.stringify([wf.status, wf.endTime, wf.reasonForIncompletion, (wf.tasks || []).length, wf.correlationId]);
    if (s === headSig) { const d = head.querySelector('.exec-duration'); if (d) d.textContent = fmtDuration(dur); return; }
    headSig = s;
    head.replaceChildren(
      h('div', { class: 'crumbs' }, h('a', { href: '/' }, 'Executions'), ' / ', h('a', { href: `/workflows/${encodeURIComponent(wf.workflowName || def.name)}?version=${wf.workflowVersion || def.version || ''}` }, wf.workflowName || def.name)),
      h('h1', { class: 'exec-title' }, wf.workflowName || def.name, h('span', { class: 'muted' }, ` v${wf.workflowVersion || def.version || 1}`), ' ', h('span', { class: 'wf-status', dataset: { status: wf.status } }, badge(wf.status))),
      h('dl', { class: 'meta' },
        meta('Execution id', h('span', { class: 'mono exec-id' }, wf.workflowId)),
        meta('Started', fmtTime(start)), wf.endTime ? meta('Ended', fmtTime(wf.endTime)) : null, meta('Duration', h('span', { class: 'exec-duration' }, fmtDuration(dur))),
        wf.correlationId ? meta('Correlation id', h('span', { class: 'mono' }, wf.correlationId)) : null,
        wf.parentWorkflowId ? meta('Parent', h('a', { class: 'mono parent-link', href: `/execution/${encodeURIComponent(wf.parentWorkflowId)}` }, `↑ ${wf.parentWorkflowId}`)) : null,
        wf.reRunFromWorkflowId ? meta('Re-run of', h('a', { class: 'mono', href: `/execution/${encodeURIComponent(wf.reRunFromWorkflowId)}` }, wf.reRunFromWorkflowId)) : null,
        meta('Tasks', String((wf.tasks || []).length))),
      wf.reasonForIncompletion ? h('div', { class: 'error-box reason-box' }, wf.reasonForIncompletion) : '');
  }

  function drawActions() {
    const s = wf.status;
    live.textContent = wfTerminal(s) ? '' : `● live · refreshes every ${REFRESH_MS / 1000} s`;
    const as = `${s}|${retryable(wf)}`;
    if (as === actionSig) return;
    actionSig = as;
    const btn = (label, fn, cls = 'needs-write') => h('button', { type: 'button', class: `btn ${cls}`, dataset: { action: label.toLowerCase() }, onclick: fn }, label);
    const list = [];
    // Only what the server would accept in this state (service/workflows.py refuses the rest with a 409).
    if (s === 'RUNNING') list.push(btn('Pause', () => run(() => Api.pause(id), 'Paused')));
    if (s === 'PAUSED') list.push(btn('Resume', () => run(() => Api.resume(id), 'Resumed')));
    if (!wfTerminal(s)) list.push(btn('Terminate', terminate, 'btn-danger needs-write'));
    if (retryable(wf)) list.push(btn('Retry', () => run(() => Api.retry(id), 'Retrying the failed tasks')));
    if (wfTerminal(s)) {
      if (!(s === 'COMPLETED' && wf.workflowDefinition?.restartable === false)) list.push(btn('Restart', restart));
      list.push(btn('Rerun', rerun));
    }
    list.push(...extraActions(wf, run));
    list.push(btn('Refresh', () => refresh(true), 'btn-ghost'));
    const had = actions.contains(document.activeElement) ? document.activeElement.dataset.action : null;
    actions.replaceChildren(...list);
    if (had) actions.querySelector(`[data-action="${had}"]`)?.focus();
  }

  async function run(fn, done) {
    try { await fn(); toast(done); } catch (err) { toast(errorText(err), 'error'); }
    await refresh(true);
  }

  async function terminate() {
    const v = await dialog({ title: 'Terminate this execution?', message: 'Running tasks are cancelled and the workflow ends as TERMINATED.', fields: [{ name: 'reason', label: 'Reason', value: '' }], confirm: 'Terminate', danger: true });
    if (v) await run(() => Api.terminate(id, v.reason || undefined), 'Terminated');
  }

  async function restart() {
    const v = await dialog({ title: 'Restart this execution?', message: 'It starts again from the first task with the same input.', fields: [{ name: 'latest', label: 'Use the latest definition', type: 'checkbox' }], confirm: 'Restart' });
    if (v) await run(() => Api.restart(id, !!v.latest), 'Restarted');
  }

  async function rerun() {
    const v = await dialog({ title: 'Re-run this execution', message: 'Runs again from the start with this input.', fields: [
      { name: 'input', label: 'Workflow input (JSON)', type: 'textarea', value: JSON.stringify(wf.input || {}, null, 2), rows: 10 },
      { name: 'cid', label: 'Correlation id', value: wf.correlationId || '' }], confirm: 'Re-run' });
    if (!v) return;
    let input;
    try { input = JSON.parse(v.input || '{}'); } catch (e) { toast(`Input is not valid JSON: ${e.message}`, 'error'); return; }
    await run(async () => {
      const newId = await Api.rerun(id, { reRunFromWorkflowId: id, workflowInput: input, correlationId: v.cid || undefined });
      if (newId && newId !== id) ctx.navigate(`/execution/${encodeURIComponent(newId)}`);
    }, 'Re-run started');
  }

  function select(key, recordId = null) {
    if (recordId) panelState.recordId = recordId;
    else if (selected !== key) panelState.recordId = null;
    selected = key;
    setUrl({ task: key });
    for (const tr of main.querySelectorAll('.task-list tr.current')) tr.classList.remove('current');
    for (const tr of main.querySelectorAll(`.task-list tr[data-key="${CSS.escape(key)}"]`)) tr.classList.add('current');
    drawPanel(true, true);
  }

  function nodeSig(node) {
    return JSON.stringify([wf.status, panelState.recordId, (node.records || []).map((r) => [r.taskId, r.status, r.updateTime, r.retryCount])]);
  }

  function drawPanel(focus = false, force = false) {
    if (!selected) { panelSlot.replaceChildren(); panelView = null; return; }
    const node = graph.nodes().get(selected) || fallbackNode(selected);
    if (!node) { panelSlot.replaceChildren(); panelView = null; return; }
    const s = nodeSig(node);
    if (!force && panelView && panelView.key === selected && panelView.sig === s) return; // nothing changed here
    const scroll = panelSlot.scrollTop;
    const panel = taskPanel({
      node, workflow: wf, state: panelState,
      onChanged: (local) => (local ? drawPanel(false, true) : refresh(true)),
      onClose: () => { const was = selected; selected = null; setUrl({ task: null }); drawPanel(); graph.update(wf.workflowDefinition, wf, { selected: null }); graph.focusNode(was); },
    });
    panelSlot.replaceChildren(panel);
    panelView = { key: selected, sig: s };
    if (focus) panel.querySelector('.panel-title').focus?.();
    else panelSlot.scrollTop = scroll;
  }

  function fallbackNode(key) {
    const records = indexTasks(wf.tasks).get(key);
    if (!records) return null;
    const last = records[records.length - 1];
    return { key, ref: key, type: last.workflowTask?.type || last.taskType, name: last.taskDefName, wt: last.workflowTask || {}, records, status: last.status };
  }

  function sig(w) {
    return `${w.status}|${(w.tasks || []).length}|${(w.tasks || []).map((x) => `${x.status[0]}${x.status.length}${x.retryCount || 0}`).join('')}`;
  }

  function drawAll(force = false) {
    const changed = force || sig(wf) !== signature;
    signature = sig(wf);
    drawHead();
    drawActions();
    if (!changed) return;
    const keep = focusMark();
    graph.update(wf.workflowDefinition, wf, { selected });
    for (const [tab, v] of views) if (tab === t.current) v.update();
    drawPanel(false, force);
    restoreFocus(keep);
  }

  /** Where focus is, in terms that survive a redraw of that part. */
  function focusMark() {
    const a = document.activeElement;
    if (!a || a === document.body) return null;
    const n = a.closest('.graph .node[data-key]');
    if (n) return { sel: `.graph .node[data-key="${CSS.escape(n.dataset.key)}"]`, el: a };
    const tr = a.closest('tr[data-task]');
    if (tr) return { sel: `tr[data-task="${CSS.escape(tr.dataset.task)}"] button`, el: a };
    return { el: a };
  }

  function restoreFocus(mark) {
    if (!mark || mark.el.isConnected || !mark.sel) return;
    main.querySelector(mark.sel)?.focus({ preventScroll: true });
  }

  async function refresh(force = false) {
    clearTimeout(timer);
    try {
      wf = await Api.workflow(id, ctx.signal);
      drawAll(force);
      live.classList.remove('stale');
    } catch (err) {
      if (err.name === 'AbortError') return;
      live.textContent = `refresh failed: ${err.message}`;
      live.classList.add('stale');
    }
    schedule();
  }

  function schedule() {
    clearTimeout(timer);
    if (ctx.signal.aborted || wfTerminal(wf.status)) return;
    timer = setTimeout(() => { if (!document.hidden) refresh(); else schedule(); }, REFRESH_MS);
  }

  ctx.signal.addEventListener('abort', () => clearTimeout(timer));
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && selected && !document.querySelector('dialog[open]') && !ctx.signal.aborted) {
      panelSlot.querySelector('.close')?.click();
    }
  }, { signal: ctx.signal });
  // Back from a server outage: refresh at once rather than at the next tick of the back-off.
  window.addEventListener('podium:back', () => refresh(), { signal: ctx.signal });

  const r0 = performance.now();
  drawAll(true);
  main.dataset.renderMs = (performance.now() - r0).toFixed(1);
  main.dataset.fetchMs = fetchedMs.toFixed(1);
  schedule();
}

const RETRYABLE = new Set(['FAILED', 'FAILED_WITH_TERMINAL_ERROR', 'TIMED_OUT', 'CANCELED']);

/** Would the server retry this execution (service/reruns.py): ended, with a failed latest task, or timed out. */
export function retryable(wf) {
  if (!wfTerminal(wf.status) || wf.status === 'COMPLETED') return false;
  if (wf.status === 'TIMED_OUT') return true;
  const latest = new Map();
  for (const t of wf.tasks || []) latest.set(t.referenceTaskName, t);
  return [...latest.values()].some((t) => RETRYABLE.has(t.status) && !t.retried);
}

/** A view redrawn whole, but only when its signature changes; its scroll position is kept. */
function swapView(make, signatureOf) {
  const el = h('div', { class: 'swap-view' });
  let last = signatureOf();
  el.append(make());
  return {
    el,
    update() {
      const s = signatureOf();
      if (s === last) return;
      last = s;
      const scrolled = [...el.querySelectorAll('*')].filter((x) => x.scrollTop || x.scrollLeft).map((x) => [x.className, x.scrollTop, x.scrollLeft]);
      el.replaceChildren(make());
      for (const [cls, top, left] of scrolled) {
        const x = cls && typeof cls === 'string' ? el.querySelector('.' + cls.trim().split(/\s+/).join('.')) : null;
        if (x) { x.scrollTop = top; x.scrollLeft = left; }
      }
    },
  };
}

const PANEL_KEY = 'podium.panelWidth';

/** A drag handle on the task panel's left edge; the width is remembered (localStorage). */
function resizablePanel(slot, signal) {
  const min = 320;
  const clamp = (w) => Math.round(Math.max(min, Math.min(w, window.innerWidth * 0.7)));
  let width = Number(localStorage.getItem(PANEL_KEY)) || 0;
  const apply = () => { if (width) slot.style.setProperty('--panel-w', `${clamp(width)}px`); };
  apply();
  const grip = h('div', { class: 'panel-grip', role: 'separator', 'aria-orientation': 'vertical', 'aria-label': 'Resize the task panel', tabindex: '0', title: 'Drag to resize' });
  slot.before(grip);
  const set = (w) => { width = clamp(w); apply(); try { localStorage.setItem(PANEL_KEY, String(width)); } catch { /* not kept */ } };
  grip.addEventListener('pointerdown', (e) => {
    e.preventDefault();
    grip.setPointerCapture(e.pointerId);
    const startX = e.clientX; const startW = slot.getBoundingClientRect().width;
    const move = (ev) => set(startW + (startX - ev.clientX));
    const up = () => { grip.removeEventListener('pointermove', move); grip.removeEventListener('pointerup', up); grip.classList.remove('dragging'); };
    grip.classList.add('dragging');
    grip.addEventListener('pointermove', move);
    grip.addEventListener('pointerup', up);
  });
  grip.addEventListener('keydown', (e) => {
    const cur = slot.getBoundingClientRect().width;
    if (e.key === 'ArrowLeft') { e.preventDefault(); set(cur + 20); } else if (e.key === 'ArrowRight') { e.preventDefault(); set(cur - 20); }
  });
  window.addEventListener('resize', apply, { signal });
}

function meta(label, value) {
  return [h('dt', null, label), h('dd', null, value)];
}

const rowKey = (t) => (t.iteration > 0 ? t.referenceTaskName.replace(/__\d+$/, '') : t.referenceTaskName);

/** The cells of one task-list row (markup, every value escaped). */
function taskCells(t) {
  const dur = t.startTime ? fmtDuration((t.endTime || Date.now()) - t.startTime) : '';
  return `<td>${t.seq}</td><td><button type="button" class="link mono">${esc(t.referenceTaskName)}</button></td><td>${esc(t.taskType)}</td>`
    + `<td><span class="badge s-${esc(t.status)}">${esc(t.status.replace(/_/g, ' '))}</span></td><td>${t.iteration || ''}</td><td>${t.retryCount || 0}</td>`
    + `<td class="nowrap">${esc(fmtTime(t.scheduledTime))}</td><td class="nowrap">${esc(fmtTime(t.startTime))}</td><td class="nowrap">${esc(fmtTime(t.endTime))}</td>`
    + `<td class="nowrap">${esc(dur)}</td><td class="mono">${esc(t.workerId || '')}</td><td class="reason">${esc(t.reasonForIncompletion || '')}</td>`;
}

const LIST_CHUNK = 100; // task rows drawn at a time (the filter searches them all)
const FIRST_ROWS = 25; // rows drawn per step into an empty table

/**
 * The task list: rows keyed by task id and changed in place, so the filter, focus and selections stay.
 * At most LIST_CHUNK matching rows are on the page until "show more" is asked for.
 */
function taskList(current, onSelect, selectedNow) {
  const filter = h('input', { type: 'search', id: 'task-filter', placeholder: 'filter by reference, type or status', autocomplete: 'off' });
  const table = h('table', { class: 'grid compact task-list' });
  table.innerHTML = '<thead><tr><th>Seq</th><th>Reference</th><th>Type</th><th>Status</th><th>Iteration</th><th>Retry</th><th>Scheduled</th><th>Started</th><th>Ended</th><th>Duration</th><th>Worker</th><th>Reason</th></tr></thead><tbody></tbody>';
  const tbody = table.tBodies[0];
  const empty = h('p', { class: 'muted' }, 'No tasks have been scheduled yet.');
  const summary = h('p', { class: 'task-count muted small', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'btn btn-small task-more', onclick: () => { limit += LIST_CHUNK; place(); } });
  const items = new Map(); // taskId -> {id, t, tr (once drawn), sig, drawn (sig of what the row shows), text, key}
  let order = []; // task ids by seq
  let limit = LIST_CHUNK;
  table.addEventListener('click', (e) => {
    const b = e.target.closest('button.link');
    if (b) onSelect(b.closest('tr').dataset.key);
  });
  filter.addEventListener('input', () => { limit = LIST_CHUNK; place(); });

  let pass = 0;
  /**
   * Put exactly the first `limit` matching rows in the table, in order, moving as few as possible.
   * Drawing many rows into a (nearly) empty table goes in steps of FIRST_ROWS, one task each.
   */
  function place() {
    const q = filter.value.trim().toLowerCase();
    const matching = q ? order.filter((id) => items.get(id).text.includes(q)) : order;
    const want = matching.slice(0, limit);
    const mine = ++pass;
    const upTo = (n) => {
      if (mine !== pass) return;
      reconcile(want.slice(0, n), n >= want.length);
      if (n < want.length) setTimeout(() => upTo(n + FIRST_ROWS), 0);
    };
    upTo(tbody.rows.length >= FIRST_ROWS ? want.length : FIRST_ROWS);
    summary.textContent = `${q ? `${matching.length} of ${order.length} tasks match` : `${order.length} tasks`}${want.length < matching.length ? ` · showing the first ${want.length}` : ''}`;
    more.hidden = want.length >= matching.length;
    more.textContent = `Show ${Math.min(LIST_CHUNK, matching.length - want.length)} more`;
  }

  function reconcile(ids, last) {
    let at = tbody.firstElementChild;
    for (const id of ids) {
      const tr = draw(items.get(id));
      if (tr === at) at = at.nextElementSibling; else tbody.insertBefore(tr, at);
    }
    if (!last) return; // later steps add the rest; rows beyond stay until then
    while (at) { const next = at.nextElementSibling; at.remove(); at = next; }
  }

  /** The row element of an item, made or changed only when it is to be on the page. */
  function draw(item) {
    if (!item.tr) { item.tr = document.createElement('tr'); item.tr.dataset.task = item.id; }
    const { tr } = item;
    if (item.drawn !== item.sig) { tr.innerHTML = taskCells(item.t); item.drawn = item.sig; }
    tr.dataset.key = item.key;
    tr.classList.toggle('current', item.key === selectedNow());
    return tr;
  }

  function sync() {
    const tasks = (current().tasks || []).slice().sort((a, b) => (a.seq || 0) - (b.seq || 0));
    empty.hidden = tasks.length > 0;
    const now = Math.floor(Date.now() / 1000);
    for (const t of tasks) {
      let item = items.get(t.taskId);
      if (!item) { item = { id: t.taskId, tr: null, drawn: '' }; items.set(t.taskId, item); }
      item.t = t;
      item.key = rowKey(t);
      item.text = `${t.referenceTaskName} ${t.taskType} ${t.status}`.toLowerCase();
      // What the row shows; a task still running shows a growing duration, so it changes every second.
      item.sig = `${t.status}|${t.updateTime}|${t.startTime}|${t.endTime}|${t.retryCount}|${t.workerId}|${t.reasonForIncompletion}|${t.startTime && !t.endTime ? now : ''}`;
    }
    order = tasks.map((t) => t.taskId);
    place();
  }
  sync();
  const el = h('div', null, h('div', { class: 'field inline' }, h('label', { for: 'task-filter' }, 'Filter'), filter, summary), empty,
    h('div', { class: 'table-wrap' }, table), more);
  return { el, update: sync };
}
