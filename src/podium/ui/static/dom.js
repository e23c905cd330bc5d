// Small DOM helpers shared by every page: element builder, formatting, toasts, dialogs, tabs, JSON.
import { jsonTree } from './jsontree.js';

/** Build an element: h('a', {href, class, onclick}, child, 'text', [more]). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'text') el.textContent = v;
      else if (k === 'html') el.innerHTML = v;
      else if (k === 'value') el.value = v;
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Escape text for HTML / SVG markup. */
export const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ESC[c]);

/** Epoch ms (or ISO string) → local 'YYYY-MM-DD HH:MM:SS'; '' for none. */
export function fmtTime(t) {
  if (!t) return '';
  const d = typeof t === 'number' ? new Date(t) : new Date(t);
  if (Number.isNaN(d.getTime()) || d.getTime() <= 0) return '';
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Milliseconds → '850 ms', '12.3 s', '4m 05s', '2h 03m', '3d 4h'. */
export function fmtDuration(ms) {
  if (ms === undefined || ms === null || ms < 0 || Number.isNaN(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  const hr = Math.floor(m / 60);
  if (hr < 48) return `${hr}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(hr / 24)}d ${hr % 24}h`;
}

export const ago = (ms) => (ms ? `${fmtDuration(Math.max(0, Date.now() - ms))} ago` : 'never');

/** A status pill: class s-<STATUS> colours it (see style.css). */
export const badge = (status) => h('span', { class: `badge s-${status || 'NOT_RUN'}` }, (status || 'NOT RUN').replace(/_/g, ' '));

/** A transient message in the aria-live region. */
export function toast(message, kind = 'ok') {
  const box = document.getElementById('toasts');
  const el = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : undefined }, message);
  box.append(el);
  setTimeout(() => el.remove(), kind === 'error' ? 9000 : 4000);
}

/** Describe an error for people (ApiError message plus its validation errors). */
export function errorText(err) {
  const lines = [err.message || String(err)];
  for (const v of err.validationErrors || []) lines.push(`${v.path ? v.path + ': ' : ''}${v.message}`);
  return lines.join('\n');
}

export const errorBox = (err) => h('div', { class: 'error-box', role: 'alert' }, errorText(err));

/**
 * A modal dialog. fields: [{name, label, type: 'text'|'textarea'|'checkbox', value, required}].
 * Resolves to the field values (an object) on confirm, or null on cancel / Escape.
 */
export function dialog({ title, message, fields = [], confirm = 'Confirm', danger = false, body }) {
  return new Promise((resolve) => {
    const inputs = {};
    const form = h('form', { method: 'dialog', class: 'dialog-form' },
      h('h2', { class: 'dialog-title' }, title),
      message ? h('p', { class: 'dialog-message' }, message) : null,
      body || null,
      fields.map((f) => {
        const id = `dlg-${f.name}`;
        let input;
        if (f.type === 'textarea') input = h('textarea', { id, rows: f.rows || 6, class: 'mono', spellcheck: 'false' });
        else if (f.type === 'checkbox') input = h('input', { id, type: 'checkbox' });
        else if (f.type === 'password') input = h('input', { id, type: 'password', autocomplete: 'new-password' });
        else input = h('input', { id, type: 'text', autocomplete: 'off' });
        if (f.type === 'checkbox') input.checked = !!f.value; else input.value = f.value ?? '';
        if (f.required) input.required = true;
        inputs[f.name] = input;
        return f.type === 'checkbox'
          ? h('label', { class: 'check', for: id }, input, ' ', f.label)
          : h('div', { class: 'field' }, h('label', { for: id }, f.label), input);
      }),
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'btn', value: 'cancel', onclick: () => close(null) }, 'Cancel'),
        h('button', { type: 'submit', class: `btn ${danger ? 'btn-danger' : 'btn-primary'}`, value: 'ok' }, confirm)));
    const dlg = h('dialog', { class: 'dialog', 'aria-label': title }, form);
    let done = false;
    const close = (val) => {
      if (done) return;
      done = true;
      dlg.close();
      dlg.remove();
      resolve(val);
    };
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const out = {};
      for (const [k, el] of Object.entries(inputs)) out[k] = el.type === 'checkbox' ? el.checked : el.value;
      close(out);
    });
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); close(null); });
    document.body.append(dlg);
    dlg.showModal();
    // Destructive confirmations without fields start on Cancel, so Enter does not destroy by accident.
    const first = Object.values(inputs)[0] || form.querySelector(danger ? 'button[value=cancel]' : 'button[type=submit]');
    first.focus();
  });
}

/**
 * Accessible tabs. defs: [{id, label}]; render(id, panel) fills the panel when a tab is shown.
 * Arrow keys move between tabs. Returns {el, show(id)}.
 */
export function tabs(defs, render, { initial, onChange, label = 'Sections' } = {}) {
  const uid = Math.random().toString(36).slice(2, 8);
  const list = h('div', { class: 'tabs', role: 'tablist', 'aria-label': label });
  const panel = h('div', { class: 'tab-panel', role: 'tabpanel', tabindex: '0' });
  const buttons = defs.map((d) => h('button', {
    type: 'button', role: 'tab', class: 'tab', id: `tab-${uid}-${d.id}`, dataset: { tab: d.id },
    'aria-selected': 'false', tabindex: '-1', onclick: () => show(d.id, true),
  }, d.label));
  list.append(...buttons);
  list.addEventListener('keydown', (e) => {
    const i = buttons.indexOf(document.activeElement);
    if (i < 0) return;
    let j = null;
    if (e.key === 'ArrowRight') j = (i + 1) % buttons.length;
    else if (e.key === 'ArrowLeft') j = (i - 1 + buttons.length) % buttons.length;
    else if (e.key === 'Home') j = 0;
    else if (e.key === 'End') j = buttons.length - 1;
    if (j === null) return;
    e.preventDefault();
    buttons[j].focus();
    show(defs[j].id, true);
  });
  let current = null;
  function show(id, user = false) {
    current = id;
    for (const b of buttons) {
      const on = b.dataset.tab === id;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
      if (on) panel.setAttribute('aria-labelledby', b.id);
    }
    panel.replaceChildren();
    render(id, panel);
    if (user && onChange) onChange(id);
  }
  show(initial && defs.some((d) => d.id === initial) ? initial : defs[0].id);
  return { el: h('div', { class: 'tabset' }, list, panel), show, get current() { return current; } };
}

// -- JSON -----------------------------------------------------------------------------------------
const TOKEN = /("(?:[^"\\]|\\.)*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;

/** Syntax-highlighted, escaped JSON markup. */
export function jsonMarkup(value) {
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  if (text === undefined) return '<span class="j-null">undefined</span>';
  return esc(text).replace(/&quot;/g, '"').replace(TOKEN, (m, str, colon, lit, num) => {
    if (str) return `<span class="${colon ? 'j-key' : 'j-str'}">${str.replace(/"/g, '&quot;')}</span>${colon || ''}`;
    if (lit) return `<span class="j-${lit === 'null' ? 'null' : 'bool'}">${lit}</span>`;
    return `<span class="j-num">${num}</span>`;
  });
}

/** Text longer than this is shown as a lazy tree (jsontree.js) rather than one highlighted block. */
export const BIG_JSON = 50_000;

/** A read-only JSON block with a copy button (a lazy, searchable tree when the document is big). */
export function jsonView(value, { label } = {}) {
  const text = JSON.stringify(value ?? null, null, 2);
  if (text.length > BIG_JSON) return jsonTree(value ?? null, { label: label || 'JSON' }).el;
  const pre = h('pre', { class: 'json', tabindex: '0', 'aria-label': label || 'JSON' });
  pre.innerHTML = jsonMarkup(text);
  const copy = h('button', {
    type: 'button', class: 'btn btn-small copy', onclick: async () => {
      try { await navigator.clipboard.writeText(text); toast('Copied to the clipboard'); } catch { toast('Copy is not allowed here', 'error'); }
    },
  }, 'Copy');
  return h('div', { class: 'json-wrap' }, copy, pre);
}

/** A key/value summary list. rows: [[label, value|Node], ...]; empty values are skipped. */
export function kv(rows) {
  return h('dl', { class: 'kv' }, rows.filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => [
    h('dt', null, k), h('dd', null, v instanceof Node ? v : String(v)),
  ]));
}

/** A page heading row with optional actions on the right. */
export const pageHead = (title, ...actions) =>
  h('div', { class: 'page-head' }, h('h1', null, title), h('div', { class: 'page-actions' }, actions));

/** Is the workflow status a final one? */
export const wfTerminal = (s) => ['COMPLETED', 'FAILED', 'TIMED_OUT', 'TERMINATED'].includes(s);
/** Is the task status a final one? */
export const taskTerminal = (s) =>
  ['COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED', 'FAILED_WITH_TERMINAL_ERROR', 'TIMED_OUT', 'CANCELED', 'SKIPPED'].includes(s);
