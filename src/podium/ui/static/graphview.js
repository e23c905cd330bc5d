// Draws a laid-out workflow as SVG (one string, one DOM write) and handles selection, zoom, groups and
// keyboard moves between nodes.
import { CELL_H, NODE_H, layout, nodesByKey } from './graph.js';
import { esc, h } from './dom.js';

export const TASK_STATUSES = ['COMPLETED', 'COMPLETED_WITH_ERRORS', 'IN_PROGRESS', 'SCHEDULED', 'FAILED',
  'FAILED_WITH_TERMINAL_ERROR', 'TIMED_OUT', 'CANCELED', 'SKIPPED', 'NOT_RUN'];
const GLYPH = { COMPLETED: '✓', COMPLETED_WITH_ERRORS: '!', IN_PROGRESS: '▶', SCHEDULED: '…', FAILED: '✗',
  FAILED_WITH_TERMINAL_ERROR: '✗', TIMED_OUT: '◔', CANCELED: '⊘', SKIPPED: '↷', NOT_RUN: '' };
const label = (s) => (s === 'NOT_RUN' ? 'not run' : s.replace(/_/g, ' ').toLowerCase());
const cut = (s, n) => { s = String(s ?? ''); return s.length > n ? `${s.slice(0, n - 1)}…` : s; };

/** The status legend (HTML). */
export function legend() {
  return h('ul', { class: 'legend', 'aria-label': 'Status colours' }, TASK_STATUSES.map((s) =>
    h('li', null, h('span', { class: `swatch s-${s}`, 'aria-hidden': 'true' }, GLYPH[s]), label(s))));
}

function path(e) {
  if (e.x1 === e.x2) return `M${e.x1},${e.y1} V${e.y2}`;
  const bend = Math.max(e.y1, e.y2 - 34);
  const mid = (bend + e.y2) / 2;
  return `M${e.x1},${e.y1} V${bend} C${e.x1},${mid} ${e.x2},${mid} ${e.x2},${e.y2}`;
}

function nodeSvg(p, { selected, errors }) {
  const n = p.node;
  const cls = `node s-${n.status}${p.dim ? ' dim' : ''}${selected === n.key ? ' selected' : ''}${errors?.has(n.key) ? ' has-error' : ''}${n.placeholder ? ' placeholder' : ''}`;
  const type = n.type === 'SIMPLE' ? 'SIMPLE' : n.type;
  const sub = n.name && n.name !== n.ref ? `${type} · ${n.name}` : type;
  const badges = [];
  if (n.type === 'DO_WHILE' && n.iterations) badges.push(`↻ ${n.iterations}`);
  else if (n.iterations > 1) badges.push(`${n.iterations} iter.`);
  if (n.attempts > 1) badges.push(`try ${n.attempts}`);
  const aria = `${n.ref}, ${type}, ${label(n.status)}${badges.length ? ', ' + badges.join(', ') : ''}${p.dim ? ', branch not taken' : ''}`;
  const link = n.type === 'SUB_WORKFLOW' && n.subWorkflowId
    ? `<a class="n-link" href="/execution/${encodeURIComponent(n.subWorkflowId)}" aria-label="Open sub-workflow ${esc(n.subWorkflowId)}"><text x="${p.w - 10}" y="40" text-anchor="end">child ↗</text></a>` : '';
  const right = link || (badges.length ? `<text class="n-badge" x="${p.w - 10}" y="40" text-anchor="end">${esc(badges.join(' · '))}</text>` : '');
  const subMax = link ? 15 : badges.length ? 17 : 28;
  return `<g class="${cls}" data-key="${esc(n.key)}" data-cx="${p.x + p.w / 2}" data-cy="${p.y + p.h / 2}" tabindex="0" role="button" aria-label="${esc(aria)}" transform="translate(${p.x},${p.y})">`
    + `<title>${esc(`${n.ref} (${sub}) — ${label(n.status)}`)}</title>`
    + `<rect class="n-box" width="${p.w}" height="${p.h}" rx="8"/><rect class="n-stripe" width="6" height="${p.h}" rx="3"/>`
    + `<text class="n-title" x="16" y="21">${esc(cut(n.ref, 23))}</text>`
    + `<text class="n-glyph" x="${p.w - 10}" y="21" text-anchor="end">${GLYPH[n.status] || ''}</text>`
    + `<text class="n-sub" x="16" y="40">${esc(cut(sub, subMax))}</text>${right}</g>`;
}

function cellSvg(c, selected) {
  const n = c.node;
  return `<g class="node cell s-${n.status}${c.dim ? ' dim' : ''}${selected === n.key ? ' selected' : ''}" data-key="${esc(n.key)}" data-cx="${c.x + c.w / 2}" data-cy="${c.y + c.h / 2}" tabindex="0" role="button" aria-label="${esc(`${n.ref}, ${label(n.status)}`)}" transform="translate(${c.x},${c.y})">`
    + `<title>${esc(`${n.ref} — ${label(n.status)}`)}</title><rect class="n-box" width="${c.w}" height="${c.h}" rx="5"/><rect class="n-stripe" width="5" height="${c.h}" rx="2"/>`
    + `<text class="c-title" x="12" y="${CELL_H / 2 + 4}">${esc(cut(n.ref, 16))}</text></g>`;
}

function groupSvg(g, selected) {
  const counts = new Map();
  for (const m of g.members) counts.set(m.status, (counts.get(m.status) || 0) + 1);
  const total = g.members.length;
  const parts = [`<g class="group${g.dim ? ' dim' : ''}" data-group="${esc(g.key)}">`,
    `<rect class="g-box" x="${g.x}" y="${g.y}" width="${g.w}" height="${g.h}" rx="10"/>`];
  const toggle = (x, y, text) => `<g class="g-toggle" role="button" tabindex="0" data-toggle="${esc(g.key)}" data-cx="${x + 40}" data-cy="${y + 12}" aria-expanded="${g.expanded}" aria-label="${esc(`${text} the ${total} dynamic tasks of ${g.key}`)}">`
    + `<rect x="${x}" y="${y}" width="80" height="24" rx="6"/><text x="${x + 40}" y="${y + 16}" text-anchor="middle">${g.expanded ? '▾' : '▸'} ${text}</text></g>`;
  parts.push(`<text class="g-title" x="${g.x + 14}" y="${g.y + 25}">${total} dynamic tasks</text>`);
  parts.push(toggle(g.x + g.w - 92, g.y + 9, g.expanded ? 'Collapse' : 'Expand'));
  if (g.expanded) {
    for (const c of g.cells) parts.push(cellSvg(c, selected));
  } else {
    const barX = g.x + 14; const barW = g.w - 28; const barY = g.y + 38;
    let x = barX;
    const summary = [];
    for (const s of TASK_STATUSES) {
      const n = counts.get(s);
      if (!n) continue;
      const w = (n / total) * barW;
      parts.push(`<rect class="g-bar s-${s}" x="${x}" y="${barY}" width="${Math.max(w, 1)}" height="10"><title>${n} ${label(s)}</title></rect>`);
      x += w;
      summary.push(`${n} ${label(s)}`);
    }
    parts.push(`<text class="g-counts" x="${barX}" y="${g.y + 64}">${esc(cut(summary.join(' · '), 44))}</text>`);
  }
  parts.push('</g>');
  return parts.join('');
}

/** SVG markup for a layout. */
export function graphSvg(lay, { selected, errors, scale = 1, workflowStatus, bare = false } = {}) {
  const out = [`<svg class="graph${bare ? ' bare' : ''}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${lay.width} ${lay.height}" width="${Math.round(lay.width * scale)}" height="${Math.round(lay.height * scale)}" role="group" aria-label="Workflow diagram">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path class="arrow" d="M0,0 L10,5 L0,10 z"/></marker>',
    '<marker id="arrow-dim" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path class="arrow-dim" d="M0,0 L10,5 L0,10 z"/></marker></defs>'];
  for (const f of lay.frames) {
    const it = f.node.iterations;
    out.push(`<rect class="loop-frame${f.dim ? ' dim' : ''}" x="${f.x}" y="${f.y}" width="${f.w}" height="${f.h}" rx="12"/>`);
    out.push(`<text class="loop-label${f.dim ? ' dim' : ''}" x="${f.x + 12}" y="${f.y + f.h - 11}">${it ? `↻ ${it} iteration${it === 1 ? '' : 's'}` : 'loop'}</text>`);
  }
  for (const e of lay.edges) {
    out.push(`<path class="edge${e.dim ? ' dim' : ''}" d="${path(e)}"${e.arrow ? ` marker-end="url(#${e.dim ? 'arrow-dim' : 'arrow'})"` : ''}/>`);
  }
  for (const l of lay.loops) {
    const r = l.right;
    out.push(`<path class="edge loop-back${l.dim ? ' dim' : ''}" d="M${l.tail.x},${l.tail.y} H${r} V${l.nodeY} H${l.nodeRight + 2}" marker-end="url(#${l.dim ? 'arrow-dim' : 'arrow'})"/>`);
  }
  for (const e of lay.edges) {
    if (!e.label) continue;
    const w = Math.min(150, e.label.length * 7 + 14);
    const y = e.y2 - 24;
    out.push(`<g class="edge-label${e.dim ? ' dim' : ''}"><rect x="${e.x2 - w / 2}" y="${y - 11}" width="${w}" height="18" rx="9"/><text x="${e.x2}" y="${y + 2}" text-anchor="middle">${esc(cut(e.label, 20))}</text></g>`);
  }
  const sel = { selected, errors };
  for (const p of lay.nodes) out.push(nodeSvg(p, sel));
  for (const g of lay.groups) out.push(groupSvg(g, selected));
  out.push(`<g class="terminal start"><circle cx="${lay.start.x}" cy="${lay.start.y}" r="13"/><text x="${lay.start.x + 20}" y="${lay.start.y + 4}">start</text></g>`);
  out.push(`<g class="terminal end wf-${workflowStatus || 'NONE'}"><circle cx="${lay.end.x}" cy="${lay.end.y}" r="13"/><text x="${lay.end.x + 20}" y="${lay.end.y + 4}">end${workflowStatus ? ` · ${esc(workflowStatus.toLowerCase().replace('_', ' '))}` : ''}</text></g>`);
  out.push('</svg>');
  return out.join('');
}

// Spatial navigation: Up/Down go to the closest row in that direction, then the nearest node across;
// Left/Right stay on the same row when they can.
function nearest(from, all, key) {
  const fx = +from.dataset.cx; const fy = +from.dataset.cy;
  const vertical = key === 'ArrowDown' || key === 'ArrowUp';
  const sign = key === 'ArrowDown' || key === 'ArrowRight' ? 1 : -1;
  const cands = [];
  for (const el of all) {
    if (el === from) continue;
    const dx = +el.dataset.cx - fx; const dy = +el.dataset.cy - fy;
    const main = (vertical ? dy : dx) * sign;
    if (main > 1) cands.push({ el, main, side: Math.abs(vertical ? dx : dy) });
  }
  if (!cands.length) return null;
  let pool = cands;
  if (vertical) {
    const row = Math.min(...cands.map((c) => c.main));
    pool = cands.filter((c) => c.main <= row + 4);
    pool.sort((a, b) => a.side - b.side);
  } else {
    const same = cands.filter((c) => c.side <= 8);
    pool = same.length ? same : cands;
    pool.sort((a, b) => (a.main + 2.5 * a.side) - (b.main + 2.5 * b.side));
  }
  return pool[0].el;
}

/** Cut `text` (with an ellipsis) until it ends at least 6 units before `next` starts. */
function shorten(text, next) {
  if (!text) return;
  const limit = next.getBBox().x - 6;
  const x = text.getBBox().x;
  let s = text.textContent;
  if (x + text.getComputedTextLength() <= limit) return;
  s = s.replace(/…$/, '');
  while (s.length > 1 && x + text.getComputedTextLength() > limit) {
    s = s.slice(0, -1);
    text.textContent = `${s.trimEnd()}…`;
  }
}

/**
 * An interactive diagram. onSelect(key, node) is called when a node is chosen (click, Enter, Space).
 * Returns {el, update(def, execution, opts), select(key), nodes(), renderMs}.
 */
export function graphView({ onSelect } = {}) {
  const expanded = new Set();
  let scale = 1; let state = null; let lay = null; let byKey = new Map();
  const canvas = h('div', { class: 'graph-canvas' });
  const zoomLabel = h('span', { class: 'zoom-label', 'aria-live': 'polite' }, '100%');
  const MIN = 0.1; const MAX = 2;
  const clamp = (f) => Math.min(MAX, Math.max(MIN, f));
  /** Change the zoom without laying out again, keeping the point (cx, cy) of the canvas in place. */
  const zoomAt = (next, cx = canvas.clientWidth / 2, cy = canvas.clientHeight / 2) => {
    const svg = canvas.querySelector('svg');
    const old = scale;
    scale = clamp(next);
    if (!svg || !lay) { draw(); return; }
    const k = scale / old;
    const sx = canvas.scrollLeft + cx; const sy = canvas.scrollTop + cy;
    svg.setAttribute('width', String(Math.round(lay.width * scale)));
    svg.setAttribute('height', String(Math.round(lay.height * scale)));
    zoomLabel.textContent = `${Math.round(scale * 100)}%`;
    canvas.scrollLeft = sx * k - cx; canvas.scrollTop = sy * k - cy;
  };
  const zoom = (f) => zoomAt(f === 0 ? 1 : scale * f);
  /** Scale the whole diagram into what the window shows of the canvas (its width, the rest of the window's height). */
  const fit = () => {
    if (!lay) return;
    const maxH = parseFloat(getComputedStyle(canvas).maxHeight) || Infinity;
    const room = () => Math.min(maxH, window.innerHeight - Math.max(0, canvas.getBoundingClientRect().top) - 16);
    if (room() < 240) el.scrollIntoView({ block: 'start' });
    const pad = 12;
    zoomAt(Math.min(1, (canvas.clientWidth - pad) / lay.width, (room() - pad) / lay.height));
    canvas.scrollTo(0, 0);
  };
  const bar = h('div', { class: 'graph-toolbar', role: 'toolbar', 'aria-label': 'Diagram' },
    h('button', { type: 'button', class: 'btn btn-small', 'aria-label': 'Zoom out', onclick: () => zoom(0.8) }, '−'), zoomLabel,
    h('button', { type: 'button', class: 'btn btn-small', 'aria-label': 'Zoom in', onclick: () => zoom(1.25) }, '+'),
    h('button', { type: 'button', class: 'btn btn-small', onclick: () => zoom(0) }, '100%'),
    h('button', { type: 'button', class: 'btn btn-small', onclick: fit }, 'Fit'),
    h('span', { class: 'graph-hint muted small' }, 'Ctrl + wheel zooms · drag to pan'));
  // Ctrl (or ⌘) + wheel, and trackpad pinches (sent as ctrl + wheel), zoom around the pointer.
  canvas.addEventListener('wheel', (e) => {
    if (!e.ctrlKey && !e.metaKey) return;
    e.preventDefault();
    const r = canvas.getBoundingClientRect();
    zoomAt(scale * Math.exp(-e.deltaY / 400), e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });
  // Drag on the background to pan.
  canvas.addEventListener('pointerdown', (e) => {
    if (e.button !== 0 || e.target.closest('.node, [data-toggle], a')) return;
    const x0 = e.clientX; const y0 = e.clientY; const l0 = canvas.scrollLeft; const t0 = canvas.scrollTop;
    canvas.setPointerCapture(e.pointerId);
    canvas.classList.add('panning');
    const move = (ev) => { canvas.scrollLeft = l0 - (ev.clientX - x0); canvas.scrollTop = t0 - (ev.clientY - y0); };
    const up = () => { canvas.classList.remove('panning'); canvas.removeEventListener('pointermove', move); canvas.removeEventListener('pointerup', up); canvas.removeEventListener('pointercancel', up); };
    canvas.addEventListener('pointermove', move);
    canvas.addEventListener('pointerup', up);
    canvas.addEventListener('pointercancel', up);
  });
  const el = h('div', { class: 'graph-view' }, bar, canvas);
  const view = { el, renderMs: 0, layout: () => lay, nodes: () => byKey };

  function draw() {
    if (!state) return;
    const t0 = performance.now();
    lay = layout(state.def, state.execution, { expanded });
    byKey = nodesByKey(lay);
    canvas.innerHTML = graphSvg(lay, { selected: state.selected, errors: state.errors, scale, workflowStatus: state.execution?.status, bare: !state.execution });
    zoomLabel.textContent = `${Math.round(scale * 100)}%`;
    fitLabels();
    view.renderMs = performance.now() - t0;
    el.dataset.renderMs = view.renderMs.toFixed(1);
  }

  /** Shorten a node's texts that would run into the text on their right (badges, glyph, child link). */
  function fitLabels() {
    if (!canvas.isConnected) return;
    for (const g of canvas.querySelectorAll('.node:not(.cell)')) {
      const right = g.querySelector('.n-badge, .n-link text');
      const glyph = g.querySelector('.n-glyph');
      if (right) shorten(g.querySelector('.n-sub'), right);
      if (glyph && glyph.textContent) shorten(g.querySelector('.n-title'), glyph);
    }
  }
  view.fitLabels = fitLabels;

  canvas.addEventListener('click', (e) => {
    if (e.target.closest('a')) return;
    const t = e.target.closest('[data-toggle]');
    if (t) { toggle(t.dataset.toggle); return; }
    const n = e.target.closest('.node');
    if (n) choose(n.dataset.key);
  });
  canvas.addEventListener('keydown', (e) => {
    const t = e.target.closest('[data-key], [data-toggle]');
    if (!t) return;
    if (e.key === 'Enter' || e.key === ' ') {
      if (e.target.closest('a')) return;
      e.preventDefault();
      if (t.dataset.toggle) toggle(t.dataset.toggle); else choose(t.dataset.key);
    } else if (e.key.startsWith('Arrow')) {
      const next = nearest(t, canvas.querySelectorAll('[data-cx]'), e.key);
      if (next) { e.preventDefault(); next.focus(); next.scrollIntoView({ block: 'nearest', inline: 'nearest' }); }
    }
  });

  function toggle(key) {
    if (expanded.has(key)) expanded.delete(key); else expanded.add(key);
    draw();
    const again = canvas.querySelector(`[data-toggle="${CSS.escape(key)}"]`);
    if (again) again.focus();
  }

  function choose(key) {
    if (!state) return;
    state.selected = key;
    for (const g of canvas.querySelectorAll('.node.selected')) g.classList.remove('selected');
    const g = canvas.querySelector(`.node[data-key="${CSS.escape(key)}"]`);
    if (g) g.classList.add('selected');
    if (onSelect) onSelect(key, byKey.get(key));
  }

  /** Draw (again) for a definition and an optional execution; keeps zoom, groups and selection. */
  view.update = (def, execution, opts = {}) => {
    state = { def, execution, selected: opts.selected ?? state?.selected, errors: opts.errors };
    draw();
  };
  view.select = (key) => choose(key);
  view.expand = (key) => { expanded.add(key); draw(); };
  view.focusNode = (key) => { const g = canvas.querySelector(`.node[data-key="${CSS.escape(key)}"]`); if (g) { g.focus(); g.scrollIntoView({ block: 'center', inline: 'center' }); } };
  view.nodeHeight = NODE_H;
  return view;
}
