// A JSON text editor with line numbers whose problems (syntax errors and the server's validation
// errors, which name a path such as `tasks[1].loopOver[0].expression`) are pinned to their lines.
import { ApiError } from './api.js';
import { errorBox, h } from './dom.js';

/**
 * Locate the JSON values of `text`: Map path → line (1-based). Paths use the validation form:
 * `name`, `tasks[0].taskReferenceName`, `tasks[2].decisionCases.fast[0]`. Throws {message, line} on bad JSON.
 */
export function locate(text) {
  const lines = new Map();
  let i = 0; let line = 1;
  const fail = (msg) => { const e = new Error(`${msg} at line ${line}`); e.line = line; throw e; };
  const ws = () => {
    for (;;) {
      const c = text[i];
      if (c === '\n') { line++; i++; } else if (c === ' ' || c === '\t' || c === '\r') i++; else return;
    }
  };
  const str = () => {
    if (text[i] !== '"') fail('Expected a string');
    let out = ''; i++;
    for (;;) {
      const c = text[i];
      if (c === undefined || c === '\n') fail('Unterminated string');
      if (c === '"') { i++; return out; }
      if (c === '\\') { out += text[i + 1] === 'n' ? '\n' : text[i + 1]; i += 2; continue; }
      out += c; i++;
    }
  };
  const value = (path) => {
    ws();
    if (path !== null && !lines.has(path)) lines.set(path, line);
    const c = text[i];
    if (c === '{') {
      i++; ws();
      if (text[i] === '}') { i++; return; }
      for (;;) {
        ws();
        const keyLine = line;
        const k = str();
        const p = path ? `${path}.${k}` : k;
        lines.set(p, keyLine);
        ws();
        if (text[i] !== ':') fail("Expected ':'");
        i++;
        value(p);
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return; }
        fail("Expected ',' or '}'");
      }
    } else if (c === '[') {
      i++; ws();
      if (text[i] === ']') { i++; return; }
      for (let n = 0; ; n++) {
        value(`${path}[${n}]`);
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return; }
        fail("Expected ',' or ']'");
      }
    } else if (c === '"') str();
    else {
      const m = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 40));
      if (!m) fail(c === undefined ? 'Unexpected end of JSON' : `Unexpected '${c}'`);
      i += m[0].length;
    }
  };
  value('');
  ws();
  if (i < text.length) fail('Unexpected text after the JSON value');
  return lines;
}

/** The line of a validation path: the path itself, else its nearest ancestor present in the text. */
export function lineOf(lines, path) {
  let p = path || '';
  while (p) {
    if (lines.has(p)) return lines.get(p);
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    p = cut > 0 ? p.slice(0, cut) : '';
  }
  return 1;
}

/**
 * The editor. Returns {el, text(), setText(s), value() (parsed, or throws), showProblems(list), goto(line)}.
 * showProblems([{path?, line?, message}]) marks lines and lists the problems under the editor.
 */
export function jsonEditor({ text = '', label = 'JSON', id = 'json-editor', onInput } = {}) {
  const area = h('textarea', { id, spellcheck: 'false', autocomplete: 'off', 'aria-label': label, wrap: 'off' });
  area.value = text;
  const gutter = h('div', { class: 'gutter', 'aria-hidden': 'true' });
  const list = h('ul', { class: 'problems', 'aria-live': 'polite' });
  let marks = new Map();
  const drawGutter = () => {
    const n = area.value.split('\n').length;
    const parts = [];
    for (let k = 1; k <= n; k++) {
      const msg = marks.get(k);
      parts.push(msg ? `<span class="err" title="${msg.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')}">${k}</span>` : String(k));
    }
    gutter.innerHTML = parts.join('\n');
    gutter.scrollTop = area.scrollTop;
  };
  area.addEventListener('input', () => { drawGutter(); if (onInput) onInput(); });
  area.addEventListener('scroll', () => { gutter.scrollTop = area.scrollTop; });
  drawGutter();

  const ed = {
    el: h('div', null, h('div', { class: 'editor' }, gutter, area), list),
    area,
    text: () => area.value,
    setText: (s) => { area.value = s; drawGutter(); },
    value: () => JSON.parse(area.value),
    goto(lineNo) {
      const all = area.value.split('\n');
      let pos = 0;
      for (let k = 0; k < lineNo - 1 && k < all.length; k++) pos += all[k].length + 1;
      area.focus();
      area.setSelectionRange(pos, pos + (all[lineNo - 1] || '').length);
      const lh = parseFloat(getComputedStyle(area).lineHeight) || 18;
      area.scrollTop = Math.max(0, (lineNo - 4) * lh);
    },
    showProblems(problems) {
      let lines = null;
      try { lines = locate(area.value); } catch { lines = new Map(); }
      marks = new Map();
      list.replaceChildren(...problems.map((p) => {
        const ln = p.line || lineOf(lines, p.path);
        marks.set(ln, marks.has(ln) ? `${marks.get(ln)}\n${p.message}` : p.message);
        return h('li', { dataset: { line: String(ln), path: p.path || '' } },
          h('button', { type: 'button', class: 'link where', onclick: () => ed.goto(ln) }, `line ${ln}`),
          p.path ? h('span', { class: 'where' }, p.path) : null, h('span', null, p.message));
      }));
      drawGutter();
    },
    /** Check the syntax; shows a problem and returns null when the JSON does not parse. */
    parse() {
      try {
        locate(area.value);
        return JSON.parse(area.value);
      } catch (e) {
        ed.showProblems([{ line: e.line || 1, message: `Invalid JSON: ${e.message}` }]);
        return null;
      }
    },
  };
  return ed;
}

/**
 * Send the editor's JSON with `send(value)`. Bad JSON is shown in the editor and nothing is sent; the
 * server's validation errors are pinned to their lines (paths mapped by `pathOf`) and summed up in
 * `status`, other failures shown there. Returns the value sent, or null when it was not accepted.
 */
export async function sendFromEditor(ed, status, send, pathOf = (p) => p) {
  status.replaceChildren();
  const v = ed.parse();
  if (v === null) return null;
  ed.showProblems([]);
  try {
    await send(v);
    return v;
  } catch (err) {
    if (err instanceof ApiError && err.validationErrors.length) {
      ed.showProblems(err.validationErrors.map((e) => ({ path: pathOf(e.path), message: e.message })));
      status.replaceChildren(h('div', { class: 'error-box' }, err.message));
    } else status.replaceChildren(errorBox(err));
    return null;
  }
}
