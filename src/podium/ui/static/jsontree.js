// A lazy JSON tree for big documents: only open nodes are drawn (children in chunks), levels beyond
// `openDepth` start collapsed, a search walks the value (not the page) in time slices, and any node's
// value and JSONPath can be copied. The page stays responsive however large the document is.
import { h, toast } from './dom.js';

const CHUNK = 200; // children drawn at a time ("show more" draws the next chunk)
const LONG = 300; // characters of a string shown before "show all"
const MAX_HITS = 1000;
const SLICE_MS = 12; // a search yields to the page this often

const IDENT = /^[A-Za-z_$][\w$]*$/;

/** The JSONPath of a node: `$.tasks[3].inputData["odd key"]`. */
export function jsonPath(parts) {
  return '$' + parts.map((p) => (typeof p === 'number' ? `[${p}]` : IDENT.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`)).join('');
}

const keyOf = (parts) => JSON.stringify(parts);
const isBox = (v) => v !== null && typeof v === 'object';

function valueAt(root, parts) {
  let v = root;
  for (const p of parts) { if (!isBox(v)) return undefined; v = v[p]; }
  return v;
}

function scalarClass(v) {
  if (v === null) return 'j-null';
  if (typeof v === 'string') return 'j-str';
  if (typeof v === 'number') return 'j-num';
  return 'j-bool';
}

async function copyText(text, what) {
  try { await navigator.clipboard.writeText(text); toast(`Copied ${what}`); } catch { toast('Copy is not allowed here', 'error'); }
}

/**
 * The tree. Returns {el, update(value)}; update keeps the open nodes, the chosen node, the search and
 * the scroll position.
 */
export function jsonTree(value, { label = 'JSON', openDepth = 1 } = {}) {
  let root = value;
  const opened = new Set(); // keys the user (or a search) opened
  const closed = new Set(); // keys the user closed (within openDepth)
  const shownRange = new Map(); // key -> [first child drawn, how many]
  let rows = new Map(); // key -> line element, for what is on screen
  let chosen = null; // parts of the chosen node
  let hits = []; let at = -1; let searchRun = 0;

  const isOpen = (parts) => { const k = keyOf(parts); return opened.has(k) || (parts.length < openDepth && !closed.has(k)); };

  const tree = h('ul', { class: 'jt', role: 'tree', 'aria-label': label });
  const scroller = h('div', { class: 'jt-scroll', tabindex: '-1' }, tree);
  const search = h('input', { type: 'search', class: 'jt-search', placeholder: 'search keys and values', 'aria-label': `Search ${label}`, autocomplete: 'off' });
  const count = h('span', { class: 'jt-count muted small', 'aria-live': 'polite' });
  const where = h('code', { class: 'jt-where', title: 'JSONPath of the chosen node' }, '$');
  const btn = (text, attrs, fn) => h('button', { type: 'button', class: 'btn btn-small', ...attrs, onclick: fn }, text);
  const bar = h('div', { class: 'jt-bar', role: 'toolbar', 'aria-label': `${label} tools` },
    search, btn('↑', { 'aria-label': 'Previous match', dataset: { act: 'prev' } }, () => step(-1)),
    btn('↓', { 'aria-label': 'Next match', dataset: { act: 'next' } }, () => step(1)), count,
    h('span', { class: 'jt-sep' }), where,
    btn('Copy value', { dataset: { act: 'copy-value' } }, () => copyText(JSON.stringify(valueAt(root, chosen || []), null, 2) ?? 'undefined', 'the value')),
    btn('Copy path', { dataset: { act: 'copy-path' } }, () => copyText(jsonPath(chosen || []), 'the JSONPath')),
    btn('Copy all', { dataset: { act: 'copy-all' } }, () => copyText(JSON.stringify(root, null, 2), 'the whole document')));
  const el = h('div', { class: 'jt-wrap' }, bar, scroller);

  function line(parts, key, v) {
    const k = keyOf(parts);
    const box = isBox(v);
    const open = box && isOpen(parts);
    const row = h('div', { class: 'jt-line', tabindex: parts.length ? '-1' : '0', dataset: { path: k } }); // Tab reaches the root row
    row.jtParts = parts;
    if (box) row.append(h('span', { class: 'jt-toggle', 'aria-hidden': 'true' }, open ? '▾' : '▸'));
    else row.append(h('span', { class: 'jt-toggle jt-leaf', 'aria-hidden': 'true' }));
    if (key !== undefined) row.append(h('span', { class: typeof key === 'number' ? 'jt-index' : 'j-key' }, typeof key === 'number' ? String(key) : JSON.stringify(key)), ': ');
    if (box) {
      const n = Array.isArray(v) ? v.length : Object.keys(v).length;
      row.append(h('span', { class: 'jt-sum' }, Array.isArray(v) ? `[${open ? '' : '…'}] ${n} item${n === 1 ? '' : 's'}` : `{${open ? '' : '…'}} ${n} key${n === 1 ? '' : 's'}`));
    } else if (typeof v === 'string' && v.length > LONG) {
      const s = h('span', { class: 'j-str' }, JSON.stringify(v.slice(0, LONG)).slice(0, -1) + '…');
      row.append(s, ' ', h('button', { type: 'button', class: 'link jt-more', onclick: (e) => { e.stopPropagation(); s.textContent = JSON.stringify(v); e.target.remove(); } }, `show all ${v.length} characters`));
    } else row.append(h('span', { class: scalarClass(v) }, v === undefined ? 'undefined' : JSON.stringify(v)));
    if (chosen && keyOf(chosen) === k) row.classList.add('chosen');
    rows.set(k, row);
    const li = h('li', { role: 'treeitem', 'aria-level': String(parts.length + 1) }, row);
    if (box) {
      li.setAttribute('aria-expanded', String(open));
      if (open) li.append(children(parts, v));
    }
    return li;
  }

  function children(parts, v) {
    const ul = h('ul', { role: 'group' });
    const keys = Array.isArray(v) ? null : Object.keys(v);
    const total = keys ? keys.length : v.length;
    const k = keyOf(parts);
    const [from0, count0] = shownRange.get(k) || [0, CHUNK];
    let from = Math.min(from0, total); let to = from;
    const earlier = h('li', { class: 'jt-more-row' });
    const more = h('li', { class: 'jt-more-row' });
    const rowsOf = (a, b) => {
      const frag = document.createDocumentFragment();
      for (let n = a; n < b; n++) {
        const key = keys ? keys[n] : n;
        frag.append(line([...parts, key], key, v[key]));
      }
      return frag;
    };
    const buttons = () => {
      shownRange.set(k, [from, to - from]);
      if (from > 0) {
        earlier.replaceChildren(h('button', { type: 'button', class: 'link', onclick: () => { const a = Math.max(0, from - CHUNK); earlier.after(rowsOf(a, from)); from = a; buttons(); } }, `show ${Math.min(CHUNK, from)} earlier (${from} not shown)`));
        if (!earlier.isConnected) ul.prepend(earlier);
      } else earlier.remove();
      if (to < total) {
        more.replaceChildren(h('button', { type: 'button', class: 'link', onclick: () => { const b = Math.min(total, to + CHUNK); more.before(rowsOf(to, b)); to = b; buttons(); } }, `show ${Math.min(CHUNK, total - to)} more (${total - to} not shown)`));
        if (!more.isConnected) ul.append(more);
      } else more.remove();
    };
    to = Math.min(total, from + Math.max(count0, 1));
    ul.append(rowsOf(from, to));
    buttons();
    return ul;
  }

  function draw() {
    const top = scroller.scrollTop;
    rows = new Map();
    tree.replaceChildren(line([], undefined, root));
    scroller.scrollTop = top;
  }

  function toggle(parts) {
    const k = keyOf(parts);
    if (isOpen(parts)) { opened.delete(k); closed.add(k); } else { closed.delete(k); opened.add(k); }
    const old = rows.get(k);
    if (!old) { draw(); return; }
    // Redraw only this node's subtree.
    const li = old.parentElement;
    const fresh = line(parts, parts[parts.length - 1], valueAt(root, parts));
    li.replaceWith(fresh);
    rows.get(k).focus({ preventScroll: true });
  }

  function choose(parts, focus = true) {
    if (chosen) rows.get(keyOf(chosen))?.classList.remove('chosen');
    chosen = parts;
    where.textContent = jsonPath(parts);
    const row = rows.get(keyOf(parts));
    if (row) { row.classList.add('chosen'); if (focus) row.focus({ preventScroll: true }); }
  }

  tree.addEventListener('click', (e) => {
    const row = e.target.closest('.jt-line');
    if (!row || e.target.closest('button')) return;
    choose(row.jtParts);
    if (e.target.closest('.jt-toggle, .jt-sum')) toggle(row.jtParts);
  });
  tree.addEventListener('dblclick', (e) => { const row = e.target.closest('.jt-line'); if (row && isBox(valueAt(root, row.jtParts))) toggle(row.jtParts); });
  tree.addEventListener('keydown', (e) => {
    const row = e.target.closest('.jt-line');
    if (!row) return;
    const parts = row.jtParts;
    const box = isBox(valueAt(root, parts));
    if ((e.key === 'Enter' || e.key === ' ') && box) { e.preventDefault(); toggle(parts); } else if (e.key === 'ArrowRight' && box && !isOpen(parts)) { e.preventDefault(); toggle(parts); } else if (e.key === 'ArrowLeft' && box && isOpen(parts)) { e.preventDefault(); toggle(parts); } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const all = [...tree.querySelectorAll('.jt-line')];
      const next = all[all.indexOf(row) + (e.key === 'ArrowDown' ? 1 : -1)];
      if (next) { choose(next.jtParts); next.scrollIntoView({ block: 'nearest' }); }
    }
  });

  // -- search ----------------------------------------------------------------------------------
  async function find(q, reveal) {
    const run = ++searchRun;
    hits = []; at = -1;
    if (!q) { count.textContent = ''; return; }
    count.textContent = 'searching…';
    const needle = q.toLowerCase();
    const stack = [[[], root]];
    let t0 = performance.now();
    while (stack.length && hits.length < MAX_HITS) {
      if (performance.now() - t0 > SLICE_MS) {
        await new Promise((r) => setTimeout(r, 0));
        if (run !== searchRun) return;
        t0 = performance.now();
      }
      const [parts, v] = stack.pop();
      const last = parts[parts.length - 1];
      const keyHit = typeof last === 'string' && last.toLowerCase().includes(needle);
      if (isBox(v)) {
        if (keyHit) hits.push(parts);
        const keys = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
        for (let i = keys.length - 1; i >= 0; i--) stack.push([[...parts, keys[i]], v[keys[i]]]);
      } else if (keyHit || String(v).toLowerCase().includes(needle)) hits.push(parts);
    }
    if (run !== searchRun) return;
    count.textContent = hits.length ? `${hits.length}${hits.length >= MAX_HITS ? '+' : ''} match${hits.length === 1 ? '' : 'es'}` : 'no match';
    if (reveal && hits.length) step(1);
  }

  function step(dir) {
    if (!hits.length) { if (search.value) find(search.value, true); return; }
    at = (at + dir + hits.length) % hits.length;
    const parts = hits[at];
    // Open every ancestor and draw far enough into each list to reach the match.
    for (let i = 0; i < parts.length; i++) {
      const up = parts.slice(0, i);
      const k = keyOf(up);
      if (!isOpen(up)) { closed.delete(k); opened.add(k); }
      const container = valueAt(root, up);
      const idx = Array.isArray(container) ? parts[i] : Object.keys(container).indexOf(parts[i]);
      const [from, n] = shownRange.get(k) || [0, CHUNK];
      if (idx < from || idx >= from + n) shownRange.set(k, [Math.max(0, idx - 20), CHUNK]); // a window around the match
    }
    draw();
    choose(parts, false);
    for (const r of tree.querySelectorAll('.jt-hit')) r.classList.remove('jt-hit');
    const row = rows.get(keyOf(parts));
    if (row) { row.classList.add('jt-hit'); row.scrollIntoView({ block: 'center' }); }
    count.textContent = `${at + 1} of ${hits.length}${hits.length >= MAX_HITS ? '+' : ''}`;
  }

  search.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    if (hits.length && search.dataset.q === search.value) step(e.shiftKey ? -1 : 1);
    else { search.dataset.q = search.value; find(search.value, true); }
  });
  search.addEventListener('input', () => { if (!search.value) { hits = []; count.textContent = ''; } });

  draw();
  return {
    el,
    update(next) {
      root = next;
      draw();
      if (search.dataset.q) { const k = at; find(search.dataset.q, false).then(() => { at = Math.min(k, hits.length - 1); }); }
    },
  };
}
