// A small line diff (longest common subsequence) shown as hunks with a few lines of context.
import { h } from './dom.js';

const CONTEXT = 3;
const MAX_CELLS = 4_000_000; // beyond this the middle is shown as all removed, then all added

/** Line edits from `a` to `b`: [{op: ' ' | '-' | '+', text}]. */
export function diffLines(a, b) {
  const x = a.split('\n'); const y = b.split('\n');
  let start = 0;
  while (start < x.length && start < y.length && x[start] === y[start]) start++;
  let endX = x.length; let endY = y.length;
  while (endX > start && endY > start && x[endX - 1] === y[endY - 1]) { endX--; endY--; }
  const out = x.slice(0, start).map((text) => ({ op: ' ', text }));
  const mx = x.slice(start, endX); const my = y.slice(start, endY);
  if (mx.length * my.length > MAX_CELLS) {
    out.push(...mx.map((text) => ({ op: '-', text })), ...my.map((text) => ({ op: '+', text })));
  } else {
    // lcs[i][j]: length of the common subsequence of mx[i..] and my[j..]
    const n = mx.length; const m = my.length;
    const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = mx[i] === my[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    let i = 0; let j = 0;
    while (i < n || j < m) {
      // Removed lines come before the lines that replace them.
      if (i < n && j < m && mx[i] === my[j]) { out.push({ op: ' ', text: mx[i] }); i++; j++; } else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) { out.push({ op: '-', text: mx[i] }); i++; } else { out.push({ op: '+', text: my[j] }); j++; }
    }
  }
  out.push(...x.slice(endX).map((text) => ({ op: ' ', text })));
  return out;
}

/** The diff as an element: changed lines with CONTEXT lines around, gaps marked; counts in the heading. */
export function diffView(a, b) {
  const lines = diffLines(a, b);
  const keep = new Uint8Array(lines.length);
  lines.forEach((l, k) => { if (l.op !== ' ') for (let d = -CONTEXT; d <= CONTEXT; d++) if (lines[k + d]) keep[k + d] = 1; });
  const added = lines.filter((l) => l.op === '+').length;
  const removed = lines.filter((l) => l.op === '-').length;
  const rows = [];
  let oldNo = 0; let newNo = 0; let gap = false;
  lines.forEach((l, k) => {
    if (l.op !== '+') oldNo++;
    if (l.op !== '-') newNo++;
    if (!keep[k]) { gap = true; return; }
    if (gap && rows.length) rows.push(h('div', { class: 'diff-gap' }, '⋯'));
    gap = false;
    rows.push(h('div', { class: `diff-line ${l.op === '+' ? 'diff-add' : l.op === '-' ? 'diff-del' : 'diff-same'}` },
      h('span', { class: 'diff-no' }, l.op === '+' ? '' : String(oldNo)), h('span', { class: 'diff-no' }, l.op === '-' ? '' : String(newNo)),
      h('span', { class: 'diff-op' }, l.op), h('span', { class: 'diff-text' }, l.text)));
  });
  return {
    changed: added + removed > 0,
    el: h('div', { class: 'diff' }, h('p', { class: 'diff-sum small' }, `${removed} line${removed === 1 ? '' : 's'} removed, ${added} added`),
      h('div', { class: 'diff-body', role: 'region', 'aria-label': 'Changes', tabindex: '0' }, rows)),
  };
}
