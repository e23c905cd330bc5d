// The execution view: diagram coloured by task status, task list, timeline, data tabs, actions, and a
// task panel. Refreshes itself while the workflow is not finished.
import { Api } from './api.js';
import { badge, dialog, errorBox, errorText, esc, fmtDuration, fmtTime, h, jsonView, tabs, toast, wfTerminal } from './dom.js';
import { extraActions } from './exec-extras.js';
import { indexTasks } from './graph.js';
import { graphView, legend } from './graphview.js';
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
  const t = tabs(TABS, (tab, panel) => fillTab(tab, panel), {
    initial: ctx.query.get('tab') || 'diagram', label: 'Execution',
    onChange: (tab) => setUrl({ tab: tab === 'diagram' ? null : tab }),
  });
  main.append(h('div', { class: 'pad exec' }, head, h('div', { class: 'exec-bar' }, actions, live), h('div', { class: 'exec-body' }, h('div', { class: 'exec-main' }, t.el), panelSlot)));

  function setUrl(changes) {
    const q = new URLSearchParams(location.search);
    for (const [k, v] of Object.entries(changes)) { if (v) q.set(k, v); else q.delete(k); }
    const s = q.toString();
    history.replaceState(null, '', `${location.pathname}${s ? '?' + s : ''}`);
  }

  function fillTab(tab, panel) {
    switch (tab) {
      case 'diagram': panel.append(diagram); break;
      case 'tasks': panel.append(taskList(wf, select, selected)); break;
      case 'timeline': panel.append(timeline(wf, { onSelect: (key, taskId) => select(key, taskId), selected: panelState.recordId, width: Math.max(700, panel.clientWidth || main.clientWidth - 40) })); break;
      case 'io': panel.append(h('div', { class: 'two-col' }, h('section', null, h('h3', null, 'Input'), jsonView(wf.input || {}, { label: 'Workflow input' })),
        h('section', null, h('h3', null, 'Output'), jsonView(wf.output || {}, { label: 'Workflow output' })))); break;
      case 'variables': panel.append(jsonView(wf.variables || {}, { label: 'Workflow variables' })); break;
      case 'json': panel.append(jsonView(wf, { label: 'Workflow JSON' })); break;
      default: break;
    }
  }

  function drawHead() {
    document.title = `${wf.workflowName || wf.workflowType} · ${wf.status} · Podium`;
    const start = wf.startTime || wf.createTime;
    const dur = start ? (wf.endTime || Date.now()) - start : undefined;
    const def = wf.workflowDefinition || {};
    head.replaceChildren(
      h('div', { class: 'crumbs' }, h('a', { href: '/' }, 'Executions'), ' / ', h('a', { href: `/workflows/${encodeURIComponent(wf.workflowName || def.name)}?version=${wf.workflowVersion || def.version || ''}` }, wf.workflowName || def.name)),
      h('h1', { class: 'exec-title' }, wf.workflowName || def.name, h('span', { class: 'muted' }, ` v${wf.workflowVersion || def.version || 1}`), ' ', h('span', { class: 'wf-status', dataset: { status: wf.status } }, badge(wf.status))),
      h('dl', { class: 'meta' },
        meta('Execution id', h('span', { class: 'mono' }, wf.workflowId)),
        meta('Started', fmtTime(start)), wf.endTime ? meta('Ended', fmtTime(wf.endTime)) : null, meta('Duration', fmtDuration(dur)),
        wf.correlationId ? meta('Correlation id', h('span', { class: 'mono' }, wf.correlationId)) : null,
        wf.parentWorkflowId ? meta('Parent', h('a', { class: 'mono parent-link', href: `/execution/${encodeURIComponent(wf.parentWorkflowId)}` }, `↑ ${wf.parentWorkflowId}`)) : null,
        wf.reRunFromWorkflowId ? meta('Re-run of', h('a', { class: 'mono', href: `/execution/${encodeURIComponent(wf.reRunFromWorkflowId)}` }, wf.reRunFromWorkflowId)) : null,
        meta('Tasks', String((wf.tasks || []).length))),
      wf.reasonForIncompletion ? h('div', { class: 'error-box reason-box' }, wf.reasonForIncompletion) : '');
    drawActions();
  }

  function drawActions() {
    const s = wf.status;
    const btn = (label, fn, cls = 'needs-write') => h('button', { type: 'button', class: `btn ${cls}`, dataset: { action: label.toLowerCase() }, onclick: fn }, label);
    const list = [];
    if (s === 'RUNNING') list.push(btn('Pause', () => run(() => Api.pause(id), 'Paused')));
    if (s === 'PAUSED') list.push(btn('Resume', () => run(() => Api.resume(id), 'Resumed')));
    if (!wfTerminal(s)) list.push(btn('Terminate', terminate, 'btn-danger needs-write'));
    if (['FAILED', 'TIMED_OUT', 'TERMINATED'].includes(s)) list.push(btn('Retry', () => run(() => Api.retry(id), 'Retrying the failed tasks')));
    if (wfTerminal(s)) {
      list.push(btn('Restart', restart));
      list.push(btn('Rerun', rerun));
    }
    list.push(...extraActions(wf, run));
    list.push(btn('Refresh', () => refresh(true), 'btn-ghost'));
    actions.replaceChildren(...list);
    live.textContent = wfTerminal(s) ? '' : `● live · refreshes every ${REFRESH_MS / 1000} s`;
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
    drawPanel(true);
  }

  function drawPanel(focus = false) {
    if (!selected) { panelSlot.replaceChildren(); return; }
    const node = graph.nodes().get(selected) || fallbackNode(selected);
    if (!node) { panelSlot.replaceChildren(); return; }
    const panel = taskPanel({
      node, workflow: wf, state: panelState,
      onChanged: (local) => (local ? drawPanel() : refresh(true)),
      onClose: () => { const was = selected; selected = null; setUrl({ task: null }); drawPanel(); graph.update(wf.workflowDefinition, wf, { selected: null }); graph.focusNode(was); },
    });
    panelSlot.replaceChildren(panel);
    if (focus) panel.querySelector('.panel-title').focus?.();
  }

  function fallbackNode(key) {
    const records = indexTasks(wf.tasks).get(key);
    if (!records) return null;
    const last = records[records.length - 1];
    return { key, ref: key, type: last.workflowTask?.type || last.taskType, name: last.taskDefName, wt: last.workflowTask || {}, records, status: last.status };
  }

  function sig(w) {
    return `${w.status}|${w.updateTime}|${(w.tasks || []).length}|${(w.tasks || []).map((x) => x.status[0] + x.status.length).join('')}`;
  }

  function drawAll() {
    signature = sig(wf);
    drawHead();
    graph.update(wf.workflowDefinition, wf, { selected });
    if (t.current !== 'diagram') t.show(t.current);
    drawPanel();
  }

  async function refresh(force = false) {
    clearTimeout(timer);
    try {
      const next = await Api.workflow(id, ctx.signal);
      wf = next;
      if (force || sig(next) !== signature) drawAll(); else drawActions();
    } catch (err) {
      if (err.name === 'AbortError') return;
      live.textContent = `refresh failed: ${err.message}`;
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

  const r0 = performance.now();
  drawAll();
  main.dataset.renderMs = (performance.now() - r0).toFixed(1);
  main.dataset.fetchMs = fetchedMs.toFixed(1);
  schedule();
}

function meta(label, value) {
  return [h('dt', null, label), h('dd', null, value)];
}

function taskList(wf, onSelect, selected) {
  const tasks = (wf.tasks || []).slice().sort((a, b) => (a.seq || 0) - (b.seq || 0));
  if (!tasks.length) return h('p', { class: 'muted' }, 'No tasks have been scheduled yet.');
  const filter = h('input', { type: 'search', id: 'task-filter', placeholder: 'filter by reference, type or status', autocomplete: 'off' });
  const rows = tasks.map((t) => {
    const key = t.iteration > 0 ? t.referenceTaskName.replace(/__\d+$/, '') : t.referenceTaskName;
    const dur = t.startTime ? fmtDuration((t.endTime || Date.now()) - t.startTime) : '';
    return `<tr data-key="${esc(key)}" data-task="${esc(t.taskId)}" data-text="${esc(`${t.referenceTaskName} ${t.taskType} ${t.status}`.toLowerCase())}"${selected === key ? ' class="current"' : ''}>`
      + `<td>${t.seq}</td><td><button type="button" class="link mono">${esc(t.referenceTaskName)}</button></td><td>${esc(t.taskType)}</td>`
      + `<td><span class="badge s-${esc(t.status)}">${esc(t.status.replace(/_/g, ' '))}</span></td><td>${t.iteration || ''}</td><td>${t.retryCount || 0}</td>`
      + `<td class="nowrap">${esc(fmtTime(t.scheduledTime))}</td><td class="nowrap">${esc(fmtTime(t.startTime))}</td><td class="nowrap">${esc(fmtTime(t.endTime))}</td>`
      + `<td class="nowrap">${esc(dur)}</td><td class="mono">${esc(t.workerId || '')}</td><td class="reason">${esc(t.reasonForIncompletion || '')}</td></tr>`;
  });
  const table = h('table', { class: 'grid compact task-list' });
  table.innerHTML = `<thead><tr><th>Seq</th><th>Reference</th><th>Type</th><th>Status</th><th>Iteration</th><th>Retry</th><th>Scheduled</th><th>Started</th><th>Ended</th><th>Duration</th><th>Worker</th><th>Reason</th></tr></thead><tbody>${rows.join('')}</tbody>`;
  table.addEventListener('click', (e) => {
    const b = e.target.closest('button.link');
    if (b) onSelect(b.closest('tr').dataset.key);
  });
  filter.addEventListener('input', () => {
    const q = filter.value.trim().toLowerCase();
    for (const tr of table.tBodies[0].rows) tr.hidden = !!q && !tr.dataset.text.includes(q);
  });
  return h('div', null, h('div', { class: 'field inline' }, h('label', { for: 'task-filter' }, 'Filter'), filter), h('div', { class: 'table-wrap' }, table));
}
