// Shared by the searches: the pager (first, previous, jump to a page, next, last, rows per page) and
// the start-time presets turned into query clauses.
import { h } from './dom.js';

export const SIZES = [10, 25, 50, 100];
export const PRESETS = [['', 'Any time'], ['15m', 'Last 15 minutes'], ['1h', 'Last hour'], ['24h', 'Last 24 hours'], ['7d', 'Last 7 days']];
const PRESET_MS = { '15m': 9e5, '1h': 3.6e6, '24h': 8.64e7, '7d': 6.048e8 };

/** Query clauses on `field` for a preset range or a custom from/to (datetime-local values). */
export function timeClauses(field, { range, from, to }, now = Date.now()) {
  if (range && PRESET_MS[range]) return [`${field} > ${now - PRESET_MS[range]}`];
  const out = [];
  const a = from ? new Date(from).getTime() : NaN;
  const b = to ? new Date(to).getTime() : NaN;
  if (!Number.isNaN(a)) out.push(`${field} > ${a - 1}`);
  if (!Number.isNaN(b)) out.push(`${field} < ${b + 60000}`);
  return out;
}

/** Quote a search value unless it is a plain word. */
export const quote = (v) => (/^[A-Za-z0-9_.*:-]+$/.test(v) ? v : `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);

/**
 * Fill `nav` with the pager for `total` rows. onPage(n) goes to page n; onSize(s) changes the page size.
 */
export function drawPager(nav, { page, size, total, onPage, onSize, sizes = SIZES, sizeId = 'page-size' }) {
  const pages = Math.max(1, Math.ceil(total / size));
  const jump = h('input', { type: 'number', class: 'page-jump', id: `${sizeId}-jump`, min: 1, max: pages, value: page, 'aria-label': `Page number, 1 to ${pages}` });
  const go = () => {
    const n = Math.min(pages, Math.max(1, parseInt(jump.value, 10) || 1));
    if (n !== page) onPage(n); else jump.value = String(page);
  };
  jump.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); go(); } });
  const btn = (label, to, act, disabled) => h('button', { type: 'button', class: 'btn btn-small', dataset: { page: act }, disabled, onclick: () => onPage(to) }, label);
  nav.replaceChildren(
    btn('« First', 1, 'first', page <= 1),
    btn('‹ Previous', page - 1, 'previous', page <= 1),
    h('span', { class: 'page-of' }, 'Page ', jump, ` of ${pages}`),
    h('button', { type: 'button', class: 'btn btn-small', dataset: { page: 'go' }, onclick: go }, 'Go'),
    btn('Next ›', page + 1, 'next', page >= pages),
    btn('Last »', pages, 'last', page >= pages),
    h('select', { id: sizeId, 'aria-label': 'Rows per page', onchange: (e) => onSize(+e.target.value) },
      sizes.map((s) => h('option', { value: s, selected: s === size }, `${s} per page`))));
}
