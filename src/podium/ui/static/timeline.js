// The timeline tab: a Gantt chart of the task records (queue wait light, run time coloured by status).
import { esc, fmtDuration, fmtTime, h } from './dom.js';
import { baseRef } from './graph.js';

const ROW = 24;
const LABEL_W = 230;
const AXIS_H = 30;
const MIN_BAR = 2;
const BAND = 150; // task rows per SVG

function ticks(span, width) {
  const want = Math.max(2, Math.floor(width / 110));
  const raw = span / want;
  const steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5, 36e5, 72e5, 144e5, 288e5, 864e5];
  return steps.find((s) => s >= raw) || raw;
}

/** The timeline element; onSelect(ref, taskId) when a row is chosen. */
export function timeline(workflow, { onSelect, selected, width = 1000 } = {}) {
  const tasks = (workflow.tasks || []).slice().sort((a, b) => (a.seq || 0) - (b.seq || 0));
  if (!tasks.length) return h('p', { class: 'muted' }, 'No tasks have been scheduled yet.');
  const now = Date.now();
  const t0 = Math.min(workflow.startTime || Infinity, ...tasks.map((t) => t.scheduledTime || t.startTime || Infinity));
  const open = (t) => t.status === 'SCHEDULED' || t.status === 'IN_PROGRESS';
  const ends = tasks.map((t) => t.endTime || (open(t) ? now : t.startTime || t.scheduledTime || t0));
  const running = workflow.status === 'RUNNING' || workflow.status === 'PAUSED';
  const t1 = Math.max(running ? now : workflow.endTime || 0, ...ends, t0 + 1);
  const span = t1 - t0;
  const chartW = Math.max(300, width - LABEL_W - 20);
  const x = (t) => LABEL_W + ((t - t0) / span) * chartW;
  const fullW = LABEL_W + chartW + 20;
  const step = ticks(span, chartW);
  const grid = (y1, y2) => {
    const lines = [];
    for (let t = 0; t <= span + 1; t += step) lines.push(`<line class="tl-grid" x1="${x(t0 + t)}" y1="${y1}" x2="${x(t0 + t)}" y2="${y2}"/>`);
    return lines.join('');
  };
  const axis = [`<svg class="timeline tl-axis" xmlns="http://www.w3.org/2000/svg" width="${fullW}" height="${AXIS_H}" aria-hidden="true">`, grid(AXIS_H - 6, AXIS_H)];
  for (let t = 0; t <= span + 1; t += step) axis.push(`<text class="tl-tick" x="${x(t0 + t)}" y="${AXIS_H - 12}" text-anchor="middle">+${esc(fmtDuration(t))}</text>`);
  axis.push('</svg>');
  // Rows go in bands of BAND tasks, one SVG each; bands after the first are drawn in later tasks so a
  // long execution never holds the page.
  const band = (from, to) => {
    const out = [`<svg class="timeline tl-band" xmlns="http://www.w3.org/2000/svg" width="${fullW}" height="${(to - from) * ROW}" role="group" aria-label="Task timeline, tasks ${from + 1} to ${to}">`, grid(0, (to - from) * ROW)];
    for (let i = from; i < to; i++) {
      const t = tasks[i];
      const y = (i - from) * ROW;
      const ref = baseRef(t);
      const sched = t.scheduledTime || t.startTime || t0;
      const start = t.startTime || null;
      const end = t.endTime || (start ? now : null);
      const runs = start ? `${fmtTime(start)} → ${t.endTime ? fmtTime(t.endTime) : 'now'} (${fmtDuration(end - start)})` : 'not started';
      const label = `${t.referenceTaskName} · ${t.status.toLowerCase().replace(/_/g, ' ')} · ${runs}`;
      out.push(`<g class="tl-row s-${t.status}${selected === t.taskId ? ' selected' : ''}" tabindex="0" role="button" data-key="${esc(ref)}" data-task="${esc(t.taskId)}" aria-label="${esc(label)}">`);
      out.push(`<rect class="tl-bg" x="0" y="${y}" width="${fullW}" height="${ROW}"/>`);
      out.push(`<text class="tl-label" x="8" y="${y + 16}">${esc(t.referenceTaskName.length > 30 ? t.referenceTaskName.slice(0, 29) + '…' : t.referenceTaskName)}</text>`);
      const wEnd = start || (t.status === 'SCHEDULED' ? now : sched);
      if (wEnd > sched) out.push(`<rect class="tl-wait" x="${x(sched)}" y="${y + 8}" width="${Math.max(MIN_BAR, x(wEnd) - x(sched))}" height="8"/>`);
      if (start) out.push(`<rect class="tl-bar" x="${x(start)}" y="${y + 5}" width="${Math.max(MIN_BAR, x(end) - x(start))}" height="14" rx="3"/>`);
      out.push(`<title>${esc(label)}</title></g>`);
    }
    out.push('</svg>');
    return out.join('');
  };
  const box = h('div', { class: 'timeline-wrap' });
  box.innerHTML = axis.join('') + band(0, Math.min(BAND, tasks.length));
  const later = (from) => {
    if (from >= tasks.length) return;
    setTimeout(() => {
      box.insertAdjacentHTML('beforeend', band(from, Math.min(from + BAND, tasks.length)));
      later(from + BAND);
    }, 0);
  };
  later(BAND);
  const pick = (g) => { if (g && onSelect) onSelect(g.dataset.key, g.dataset.task); };
  box.addEventListener('click', (e) => pick(e.target.closest('.tl-row')));
  box.addEventListener('keydown', (e) => {
    const g = e.target.closest('.tl-row');
    if (!g) return;
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); pick(g); } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      const all = [...box.querySelectorAll('.tl-row')];
      const sib = all[all.indexOf(g) + (e.key === 'ArrowDown' ? 1 : -1)];
      if (sib) { e.preventDefault(); sib.focus(); }
    }
  });
  return h('div', null, h('p', { class: 'muted small' }, `Started ${fmtTime(t0)} · span ${fmtDuration(span)} · light bars: waiting in the queue; solid bars: running.`), box);
}
