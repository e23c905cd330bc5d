// Task queues: depth per task type and domain, and each worker's last poll.
import { Api } from './api.js';
import { ago, errorBox, fmtTime, h, pageHead } from './dom.js';

const REFRESH_MS = 5000;

/** `[domain:]taskType[@namespace][-isolationGroup]` → {domain, taskType, queue}. */
export function splitQueue(queue) {
  const colon = queue.indexOf(':');
  return colon > 0 ? { domain: queue.slice(0, colon), taskType: queue.slice(colon + 1), queue } : { domain: '', taskType: queue, queue };
}

export async function render(main, ctx) {
  document.title = 'Task queues · Podium';
  const filter = h('input', { type: 'search', id: 'q-filter', placeholder: 'filter by task type, domain or worker', 'data-shortcut': 'search', autocomplete: 'off' });
  const auto = h('input', { type: 'checkbox', id: 'q-auto', checked: true });
  const stamp = h('span', { class: 'muted small', 'aria-live': 'polite' });
  const slot = h('div');
  let rows = [];
  let timer = null;
  main.append(h('div', { class: 'pad' },
    pageHead('Task queues', h('label', { class: 'check', for: 'q-auto' }, auto, ` refresh every ${REFRESH_MS / 1000} s`), h('button', { type: 'button', class: 'btn', onclick: () => load() }, 'Refresh')),
    h('p', { class: 'muted' }, 'Tasks waiting to be polled, per task type and domain, and the workers that polled each queue.'),
    h('div', { class: 'field inline' }, h('label', { for: 'q-filter' }, 'Filter'), filter, stamp), slot));
  filter.addEventListener('input', draw);
  auto.addEventListener('change', schedule);
  ctx.signal.addEventListener('abort', () => clearTimeout(timer));

  async function load() {
    clearTimeout(timer);
    try {
      const [sizes, polls] = await Promise.all([Api.queues(), Api.pollDataAll()]);
      const map = new Map();
      const row = (taskType, domain) => {
        const key = `${domain}\u0000${taskType}`;
        if (!map.has(key)) map.set(key, { taskType, domain, depth: 0, workers: [] });
        return map.get(key);
      };
      for (const [q, n] of Object.entries(sizes || {})) { const s = splitQueue(q); row(s.taskType, s.domain).depth += n; }
      for (const p of polls || []) {
        const s = splitQueue(p.queueName || '');
        row(s.taskType, p.domain || s.domain).workers.push(p);
      }
      rows = [...map.values()].sort((a, b) => b.depth - a.depth || a.taskType.localeCompare(b.taskType) || a.domain.localeCompare(b.domain));
      stamp.textContent = `updated ${fmtTime(Date.now())}`;
      draw();
    } catch (err) {
      if (err.name !== 'AbortError') slot.replaceChildren(errorBox(err));
    }
    schedule();
  }

  function schedule() {
    clearTimeout(timer);
    if (auto.checked && !ctx.signal.aborted) timer = setTimeout(load, REFRESH_MS);
  }

  function draw() {
    const q = filter.value.trim().toLowerCase();
    const shown = rows.filter((r) => !q || r.taskType.toLowerCase().includes(q) || r.domain.toLowerCase().includes(q) || r.workers.some((w) => (w.workerId || '').toLowerCase().includes(q)));
    if (!rows.length) { slot.replaceChildren(h('p', { class: 'muted' }, 'No queues yet: nothing has been scheduled or polled.')); return; }
    slot.replaceChildren(h('div', { class: 'table-wrap' }, h('table', { class: 'grid queues' },
      h('thead', null, h('tr', null, h('th', null, 'Task type'), h('th', null, 'Domain'), h('th', null, 'Depth'), h('th', null, 'Worker'), h('th', null, 'Last poll'))),
      h('tbody', null, shown.map((r) => {
        const workers = r.workers.slice().sort((a, b) => (b.lastPollTime || 0) - (a.lastPollTime || 0));
        const first = workers[0];
        const lead = h('tr', { dataset: { type: r.taskType, domain: r.domain } },
          h('td', { rowspan: Math.max(1, workers.length) }, h('span', { class: 'wf-name' }, r.taskType)),
          h('td', { rowspan: Math.max(1, workers.length) }, r.domain || h('span', { class: 'muted' }, '(none)')),
          h('td', { rowspan: Math.max(1, workers.length), class: `depth${r.depth ? '' : ' zero'}` }, String(r.depth)),
          h('td', { class: first ? 'mono' : 'muted' }, first ? first.workerId || '(unnamed)' : 'no worker has polled'),
          h('td', { title: first ? fmtTime(first.lastPollTime) : '' }, first ? ago(first.lastPollTime) : ''));
        return [lead, ...workers.slice(1).map((w) => h('tr', { class: 'worker-row' }, h('td', { class: 'mono' }, w.workerId || '(unnamed)'), h('td', { title: fmtTime(w.lastPollTime) }, ago(w.lastPollTime))))];
      })))));
  }

  await load();
}
