// The task panel of the execution view: one task (all its attempts), its data, and manual actions.
import { Api, get } from './api.js';
import { ago, badge, dialog, errorBox, errorText, fmtDuration, fmtTime, h, jsonView, kv, tabs, taskTerminal, toast, wfTerminal } from './dom.js';

const PANEL_TABS = [
  { id: 'summary', label: 'Summary' }, { id: 'input', label: 'Input' }, { id: 'output', label: 'Output' },
  { id: 'logs', label: 'Logs' }, { id: 'attempts', label: 'Attempts' }, { id: 'json', label: 'JSON' },
  { id: 'definition', label: 'Definition' }, { id: 'polldata', label: 'Poll data' },
];
const WORKER_TYPES = new Set(['SIMPLE', 'DYNAMIC']);

function parseJson(text, what) {
  if (!text.trim()) return {};
  try {
    const v = JSON.parse(text);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${what} must be a JSON object`);
    return v;
  } catch (e) {
    throw new Error(`${what}: ${e.message}`);
  }
}

/**
 * Build the panel. node: graph node {key, ref, type, wt, records}; workflow: the execution;
 * state: {tab, recordId} kept by the caller across refreshes; onChanged(): reload after an action.
 */
export function taskPanel({ node, workflow, state, onChanged, onClose }) {
  const records = node.records || [];
  const record = records.find((r) => r.taskId === state.recordId) || records[records.length - 1] || null;
  const active = !wfTerminal(workflow.status);
  const actions = [];
  const act = async (fn, done) => {
    try { await fn(); toast(done); onChanged(); } catch (err) { if (err) toast(errorText(err), 'error'); }
  };
  if (record && !taskTerminal(record.status) && active) {
    actions.push(h('button', { type: 'button', class: 'btn btn-small btn-primary needs-write', onclick: () => act(async () => {
      const v = await dialog({ title: `Complete ${node.ref}`, message: 'Mark this task COMPLETED by hand.', fields: [{ name: 'output', label: 'Output (JSON object)', type: 'textarea', value: '{}' }], confirm: 'Complete' });
      if (!v) throw null;
      await Api.updateTask({ workflowInstanceId: workflow.workflowId, taskId: record.taskId, status: 'COMPLETED', outputData: parseJson(v.output, 'Output'), workerId: 'podium-ui' });
    }, `${node.ref} completed`) }, 'Complete'));
    actions.push(h('button', { type: 'button', class: 'btn btn-small btn-danger needs-write', onclick: () => act(async () => {
      const v = await dialog({ title: `Fail ${node.ref}`, message: 'Mark this task FAILED by hand (retries apply).', fields: [
        { name: 'reason', label: 'Reason', value: 'Failed by hand from the UI' }, { name: 'terminal', label: 'Terminal error (no retries)', type: 'checkbox' },
        { name: 'output', label: 'Output (JSON object)', type: 'textarea', value: '{}', rows: 4 }], confirm: 'Fail task', danger: true });
      if (!v) throw null;
      await Api.updateTask({ workflowInstanceId: workflow.workflowId, taskId: record.taskId, status: v.terminal ? 'FAILED_WITH_TERMINAL_ERROR' : 'FAILED', reasonForIncompletion: v.reason, outputData: parseJson(v.output, 'Output'), workerId: 'podium-ui' });
    }, `${node.ref} failed`) }, 'Fail'));
  }
  // The server skips only a task of a RUNNING workflow that has not run yet (a PAUSED one answers 409).
  if (workflow.status === 'RUNNING' && !record && !node.placeholder) {
    actions.push(h('button', { type: 'button', class: 'btn btn-small needs-write', onclick: () => act(async () => {
      const ok = await dialog({ title: `Skip ${node.ref}?`, message: 'The task is recorded as SKIPPED and the workflow moves on.', confirm: 'Skip' });
      if (!ok) throw null;
      await Api.skip(workflow.workflowId, node.ref);
    }, `${node.ref} skipped`) }, 'Skip'));
  }
  if (record && !active) {
    actions.push(h('button', { type: 'button', class: 'btn btn-small needs-write', onclick: () => act(async () => {
      const ok = await dialog({ title: `Re-run from ${node.ref}?`, message: 'The execution runs again from this task; tasks after it are scheduled anew.', confirm: 'Re-run' });
      if (!ok) throw null;
      await Api.rerun(workflow.workflowId, { reRunFromWorkflowId: workflow.workflowId, reRunFromTaskId: record.taskId });
    }, `Re-running from ${node.ref}`) }, 'Re-run from here'));
  }

  const head = h('div', { class: 'panel-head' },
    h('div', null, h('h2', { class: 'panel-title', tabindex: '-1' }, node.ref), h('div', { class: 'panel-sub' }, badge(record ? record.status : 'NOT_RUN'), ' ', h('span', { class: 'muted' }, node.type === 'SIMPLE' ? node.name : `${node.type}${node.name && node.name !== node.ref ? ' · ' + node.name : ''}`))),
    h('button', { type: 'button', class: 'btn btn-small btn-ghost close', 'aria-label': 'Close the task panel', onclick: onClose }, '✕'));
  const t = tabs(PANEL_TABS, (id, panel) => fill(id, panel), { initial: state.tab, onChange: (id) => { state.tab = id; }, label: 'Task details' });

  function fill(id, panel) {
    if (!record && !['definition', 'summary'].includes(id)) { panel.append(h('p', { class: 'muted' }, 'This task has not run in this execution.')); return; }
    switch (id) {
      case 'summary': panel.append(summary(node, record, workflow)); break;
      case 'input': panel.append(jsonView(record.inputData || {}, { label: 'Task input' })); break;
      case 'output': panel.append(jsonView(record.outputData || {}, { label: 'Task output' })); break;
      case 'logs': loadInto(panel, async () => {
        const logs = await Api.taskLogs(record.taskId);
        if (!logs || !logs.length) return h('p', { class: 'muted' }, 'No logs for this task.');
        return h('table', { class: 'grid compact' }, h('thead', null, h('tr', null, h('th', null, 'Time'), h('th', null, 'Log'))),
          h('tbody', null, logs.map((l) => h('tr', null, h('td', { class: 'nowrap' }, fmtTime(l.createdTime)), h('td', { class: 'mono pre' }, l.log)))));
      }); break;
      case 'attempts': panel.append(attempts(records, record, (r) => { state.recordId = r.taskId; onChanged(true); })); break;
      case 'json': panel.append(jsonView(record, { label: 'Task JSON' })); break;
      case 'definition': definition(panel, node, record); break;
      case 'polldata': loadInto(panel, async () => {
        const type = record.taskDefName || record.taskType;
        if (!WORKER_TYPES.has(record.workflowTask?.type || 'SIMPLE') && !record.workerId) return h('p', { class: 'muted' }, `${record.taskType} is run by the server; no workers poll for it.`);
        const data = await Api.pollData(type);
        if (!data || !data.length) return h('p', { class: 'muted' }, `No worker has polled for ${type} yet.`);
        return h('table', { class: 'grid compact' }, h('thead', null, h('tr', null, h('th', null, 'Queue'), h('th', null, 'Domain'), h('th', null, 'Worker'), h('th', null, 'Last poll'))),
          h('tbody', null, data.map((p) => h('tr', null, h('td', { class: 'mono' }, p.queueName), h('td', null, p.domain || '—'), h('td', { class: 'mono' }, p.workerId || ''), h('td', { title: fmtTime(p.lastPollTime) }, ago(p.lastPollTime))))));
      }); break;
      default: break;
    }
  }

  return h('aside', { class: 'task-panel', 'aria-label': `Task ${node.ref}`, dataset: { key: node.key } }, head,
    actions.length ? h('div', { class: 'panel-actions' }, actions) : null, t.el);
}

function loadInto(panel, fn) {
  const slot = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  panel.append(slot);
  fn().then((el) => slot.replaceChildren(el)).catch((err) => slot.replaceChildren(errorBox(err)));
}

function summary(node, r, wf) {
  if (!r) return kv([['Reference', node.ref], ['Type', node.type], ['Name', node.name], ['Status', 'not run yet']]);
  const queueWait = r.startTime && r.scheduledTime ? r.startTime - r.scheduledTime : undefined;
  const dur = r.startTime ? (r.endTime || Date.now()) - r.startTime : undefined;
  const child = r.subWorkflowId || r.outputData?.subWorkflowId;
  return h('div', null,
    r.reasonForIncompletion ? h('div', { class: 'error-box' }, r.reasonForIncompletion) : null,
    kv([
      ['Task id', h('span', { class: 'mono' }, r.taskId)], ['Reference', r.referenceTaskName], ['Type', r.taskType],
      ['Definition', r.taskDefName], ['Status', badge(r.status)],
      ['Sub-workflow', child ? h('a', { href: `/execution/${encodeURIComponent(child)}`, class: 'mono' }, child) : undefined],
      ['Worker', r.workerId], ['Domain', r.domain], ['Scheduled', fmtTime(r.scheduledTime)], ['Started', fmtTime(r.startTime)],
      ['Ended', fmtTime(r.endTime)], ['Queue wait', queueWait !== undefined ? fmtDuration(queueWait) : undefined],
      ['Duration', dur !== undefined ? fmtDuration(dur) : undefined], ['Retry count', r.retryCount],
      ['Poll count', r.pollCount], ['Iteration', r.iteration || undefined], ['Seq', r.seq],
      ['Callback after', r.callbackAfterSeconds ? `${r.callbackAfterSeconds} s` : undefined],
      ['Workflow', wf.workflowId],
    ]));
}

function attempts(records, current, onPick) {
  if (!records.length) return h('p', { class: 'muted' }, 'No attempts yet.');
  return h('div', { class: 'table-wrap' }, h('table', { class: 'grid compact attempts' },
    h('thead', null, h('tr', null, ['Seq', 'Iteration', 'Retry', 'Status', 'Started', 'Duration', 'Worker', 'Reason'].map((c) => h('th', null, c)))),
    h('tbody', null, records.map((r) => h('tr', { class: r === current ? 'current' : '' },
      h('td', null, h('button', { type: 'button', class: 'link', 'aria-label': `Show attempt ${r.seq}`, onclick: () => onPick(r) }, String(r.seq))),
      h('td', null, r.iteration || ''), h('td', null, r.retryCount), h('td', null, badge(r.status)),
      h('td', { class: 'nowrap' }, fmtTime(r.startTime)), h('td', null, r.startTime ? fmtDuration((r.endTime || Date.now()) - r.startTime) : ''),
      h('td', { class: 'mono' }, r.workerId || ''), h('td', { class: 'reason' }, r.reasonForIncompletion || ''))))));
}

function definition(panel, node, r) {
  panel.append(h('h3', null, 'Workflow task'), jsonView(r?.workflowTask || node.wt, { label: 'Workflow task definition' }));
  if (r && r.taskDefinition) { panel.append(h('h3', null, 'Task definition'), jsonView(r.taskDefinition)); return; }
  const type = node.wt?.type || 'SIMPLE';
  if (!WORKER_TYPES.has(type) || !node.wt?.name) return;
  const slot = h('div');
  panel.append(slot);
  get(`/metadata/taskdefs/${encodeURIComponent(r?.taskDefName || node.wt.name)}`)
    .then((d) => slot.replaceChildren(h('h3', null, 'Task definition'), jsonView(d)))
    .catch(() => slot.replaceChildren(h('p', { class: 'muted' }, 'No registered task definition; defaults apply.')));
}
