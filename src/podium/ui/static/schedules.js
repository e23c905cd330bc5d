// Schedules (/api/scheduler): the list with next runs, paused state and last executions; pause and
// resume; one schedule's JSON to edit, its next fire times and its recent executions.
import { ApiError, del, get, post, put } from './api.js';
import { ago, dialog, errorBox, fmtTime, h, pageHead, toast } from './dom.js';
import { jsonEditor, sendFromEditor } from './editor.js';

const REFRESH_MS = 5000;
const enc = encodeURIComponent;

/** The scheduler calls this page makes (paths as in Conductor's scheduler API, docs/scheduler.md). */
const Sched = {
  list: () => get('/scheduler/schedules'),
  one: (name) => get(`/scheduler/schedules/${enc(name)}`),
  save: (s) => post('/scheduler/schedules', s),
  remove: (name) => del(`/scheduler/schedules/${enc(name)}`),
  pause: (name, reason) => put(`/scheduler/schedules/${enc(name)}/pause`, undefined, { reason }),
  resume: (name) => put(`/scheduler/schedules/${enc(name)}/resume`),
  nextFew: (s, limit) => get('/scheduler/nextFewSchedules', {
    cronExpression: s.cronExpression, zoneId: s.zoneId, scheduleStartTime: Math.max(s.scheduleStartTime || 0, Date.now()),
    scheduleEndTime: s.scheduleEndTime, limit,
  }),
  executions: (name, size) => get('/scheduler/search/executions', { query: `scheduleName="${name}"`, size, sort: 'scheduledTime:DESC' }),
};

function unavailable(err) {
  return h('div', { class: 'card' }, h('p', null, 'The scheduler is not available on this server.'),
    h('p', { class: 'muted small' }, `GET /api/scheduler/schedules answered ${err.status}: ${err.message}`));
}

const cronOf = (s) => s.cronExpression || (s.cronSchedules || []).map((c) => `${c.cronExpression} (${c.zoneId || 'UTC'})`).join(', ');
const stateCell = (s) => (s.paused
  ? h('span', null, h('span', { class: 'badge s-PAUSED' }, 'PAUSED'), s.pausedReason ? h('span', { class: 'muted small' }, ` ${s.pausedReason}`) : null)
  : h('span', { class: 'badge s-RUNNING' }, 'ACTIVE'));

/** Pause (asking for a reason) or resume one schedule; resolves true when it changed. */
async function toggle(s) {
  if (s.paused) {
    await Sched.resume(s.name);
    toast(`Resumed ${s.name}`);
    return true;
  }
  const v = await dialog({ title: `Pause ${s.name}?`, message: 'No workflow starts until it is resumed.', fields: [{ name: 'reason', label: 'Reason (optional)' }], confirm: 'Pause' });
  if (!v) return false;
  await Sched.pause(s.name, v.reason.trim() || undefined);
  toast(`Paused ${s.name}`);
  return true;
}

export async function render(main, ctx) {
  const name = ctx.params[0];
  if (name || ctx.query.get('new') !== null) return edit(main, ctx, name);
  document.title = 'Schedules · Podium';
  const filter = h('input', { type: 'search', id: 's-filter', placeholder: 'filter by schedule or workflow name', 'data-shortcut': 'search', autocomplete: 'off' });
  const stamp = h('span', { class: 'muted small', 'aria-live': 'polite' });
  const slot = h('div');
  const box = h('div', { class: 'pad' },
    pageHead('Schedules', h('a', { class: 'btn btn-primary needs-write', href: '/schedules?new=1' }, 'New schedule')),
    h('p', { class: 'muted' }, 'Workflows started on a cron schedule, with their next runs and last executions.'),
    h('div', { class: 'field inline' }, h('label', { for: 's-filter' }, 'Filter'), filter, stamp), slot);
  main.append(box);
  let rows = [];
  let lastRuns = new Map();
  let timer = null;
  filter.addEventListener('input', draw);
  ctx.signal.addEventListener('abort', () => clearTimeout(timer));

  async function load() {
    clearTimeout(timer);
    try {
      rows = ((await Sched.list()) || []).sort((a, b) => a.name.localeCompare(b.name));
      const recent = await Promise.all(rows.map((s) => Sched.executions(s.name, 1).catch(() => null)));
      lastRuns = new Map(rows.map((s, i) => [s.name, ((recent[i] && recent[i].results) || [])[0]]));
      stamp.textContent = `updated ${fmtTime(Date.now())}`;
      draw();
    } catch (err) {
      if (err.name === 'AbortError') return;
      if (err instanceof ApiError && (err.status === 404 || err.status === 405)) { slot.replaceChildren(unavailable(err)); return; }
      slot.replaceChildren(errorBox(err));
    }
    if (!ctx.signal.aborted) timer = setTimeout(load, REFRESH_MS);
  }

  function draw() {
    const q = filter.value.trim().toLowerCase();
    const shown = rows.filter((s) => !q || s.name.toLowerCase().includes(q) || ((s.startWorkflowRequest || {}).name || '').toLowerCase().includes(q));
    if (!rows.length) { slot.replaceChildren(h('p', { class: 'muted' }, 'No schedules yet.')); return; }
    slot.replaceChildren(h('div', { class: 'table-wrap' }, h('table', { class: 'grid', id: 'schedules' },
      h('thead', null, h('tr', null, ['Name', 'Workflow', 'Cron', 'State', 'Next run', 'Last execution', ''].map((c) => h('th', null, c)))),
      h('tbody', null, shown.map((s) => {
        const last = lastRuns.get(s.name);
        const wf = s.startWorkflowRequest || {};
        return h('tr', { dataset: { name: s.name } },
          h('td', null, h('a', { class: 'wf-name', href: `/schedules/${enc(s.name)}` }, s.name)),
          h('td', null, h('a', { href: `/workflows/${enc(wf.name || '')}` }, wf.name || ''), wf.version ? ` v${wf.version}` : ''),
          h('td', { class: 'mono' }, cronOf(s), s.zoneId && s.cronExpression ? h('span', { class: 'muted small' }, ` ${s.zoneId}`) : null),
          h('td', { class: 'sched-state' }, stateCell(s)),
          h('td', null, s.paused || !s.nextRunTime ? '' : fmtTime(s.nextRunTime)),
          h('td', null, last ? executionCell(last) : h('span', { class: 'muted' }, 'none')),
          h('td', null, h('button', {
            type: 'button', class: 'btn btn-small needs-write', dataset: { act: s.paused ? 'resume' : 'pause' },
            onclick: async () => { try { if (await toggle(s)) load(); } catch (err) { toast(err.message, 'error'); } },
          }, s.paused ? 'Resume' : 'Pause')));
      })))));
  }

  await load();
}

/** An execution's state (POLLED, EXECUTED or FAILED), coloured like the task states it resembles. */
const STATE_CLASS = { EXECUTED: 'COMPLETED', FAILED: 'FAILED', POLLED: 'SCHEDULED' };
const stateBadge = (state) => h('span', { class: `badge s-${STATE_CLASS[state] || 'NOT_RUN'}` }, state || '');

function executionCell(e) {
  return h('span', null, stateBadge(e.state), ' ',
    e.workflowId ? h('a', { href: `/execution/${enc(e.workflowId)}` }, ago(e.executionTime || e.scheduledTime)) : ago(e.executionTime || e.scheduledTime));
}

const TEMPLATE = {
  name: '',
  cronExpression: '0 0 * * * ?',
  zoneId: 'UTC',
  runCatchupScheduleInstances: false,
  paused: false,
  startWorkflowRequest: { name: '', version: null, input: {} },
};

async function edit(main, ctx, name) {
  const creating = !name;
  let schedule = { ...TEMPLATE };
  if (!creating) {
    try {
      schedule = await Sched.one(name);
    } catch (err) {
      if (err instanceof ApiError && err.status === 405) { main.append(h('div', { class: 'pad' }, pageHead(name), unavailable(err))); return; }
      throw err;
    }
  }
  document.title = `${creating ? 'New schedule' : schedule.name} · Schedules · Podium`;
  const ed = jsonEditor({ text: JSON.stringify(schedule, null, 2), label: 'Schedule JSON', id: 'schedule-editor' });
  const status = h('div', { role: 'status', 'aria-live': 'polite' });
  const upcoming = h('div', { id: 'next-runs' });
  const history = h('div', { id: 'schedule-executions' });
  const save = async () => {
    const v = await sendFromEditor(ed, status, (d) => Sched.save(d));
    if (v === null) return;
    toast(`Saved ${v.name}`);
    ctx.navigate(`/schedules/${enc(v.name)}`, { replace: creating });
  };
  const remove = async () => {
    const ok = await dialog({ title: `Delete ${schedule.name}?`, message: 'No more workflows start from it. Workflows it started stay.', confirm: 'Delete', danger: true });
    if (!ok) return;
    try { await Sched.remove(schedule.name); toast(`Deleted ${schedule.name}`); ctx.navigate('/schedules'); } catch (err) { status.replaceChildren(errorBox(err)); }
  };
  const flip = async () => {
    try { if (await toggle(schedule)) ctx.navigate(`/schedules/${enc(schedule.name)}`, { replace: true }); } catch (err) { status.replaceChildren(errorBox(err)); }
  };
  main.append(h('div', { class: 'pad' },
    h('div', { class: 'crumbs' }, h('a', { href: '/schedules' }, 'Schedules'), ' / ', creating ? 'new' : schedule.name),
    pageHead(creating ? 'New schedule' : schedule.name,
      creating ? null : stateCell(schedule),
      creating ? null : h('button', { type: 'button', class: 'btn needs-write', dataset: { act: schedule.paused ? 'resume' : 'pause' }, onclick: flip }, schedule.paused ? 'Resume' : 'Pause'),
      creating ? null : h('button', { type: 'button', class: 'btn btn-danger needs-write', onclick: remove }, 'Delete'),
      h('button', { type: 'button', class: 'btn btn-primary needs-write', dataset: { act: 'save' }, onclick: save }, creating ? 'Create' : 'Save')),
    status, ed.el,
    creating ? null : h('div', { class: 'sched-side' }, h('h2', null, 'Next runs'), upcoming, h('h2', null, 'Recent executions'), history)));
  if (creating) return;
  if (schedule.cronExpression) {
    Sched.nextFew(schedule, 5).then((times) => {
      upcoming.replaceChildren(h('ol', { class: 'plain' }, (times || []).map((t) => h('li', null, fmtTime(t)))));
    }, (err) => upcoming.replaceChildren(errorBox(err)));
  }
  try {
    const found = await Sched.executions(schedule.name, 20);
    const results = (found && found.results) || [];
    history.replaceChildren(results.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'grid' },
      h('thead', null, h('tr', null, ['Scheduled', 'Started', 'State', 'Workflow', 'Reason'].map((c) => h('th', null, c)))),
      h('tbody', null, results.map((e) => h('tr', null,
        h('td', null, fmtTime(e.scheduledTime)), h('td', null, fmtTime(e.executionTime)), h('td', null, stateBadge(e.state)),
        h('td', null, e.workflowId ? h('a', { class: 'mono', href: `/execution/${enc(e.workflowId)}` }, e.workflowId) : ''),
        h('td', { class: 'small' }, e.reason || ''))))))
      : h('p', { class: 'muted' }, 'No executions yet.'));
  } catch (err) {
    history.replaceChildren(errorBox(err));
  }
}
