// One workflow definition: versions, diagram, JSON, edit with validation pinned to lines and nodes, run.
import { Api, ApiError } from './api.js';
import { diffView } from './diff.js';
import { dialog, errorBox, errorText, fmtTime, h, jsonView, tabs, toast } from './dom.js';
import { jsonEditor } from './editor.js';
import { holdLeave } from './leave.js';
import { refAtPath } from './graph.js';
import { graphView } from './graphview.js';
import { deleteButton } from './delete-def.js';
import { runTab } from './run.js';

const TABS = [{ id: 'diagram', label: 'Diagram' }, { id: 'json', label: 'JSON' }, { id: 'edit', label: 'Edit' }, { id: 'run', label: 'Run' }];

export async function render(main, ctx) {
  const name = ctx.params[0];
  const wanted = ctx.query.get('version');
  const all = ((await Api.workflowDefs()) || []).filter((d) => d.name === name).sort((a, b) => (a.version || 1) - (b.version || 1));
  const def = wanted ? all.find((d) => String(d.version || 1) === wanted) || (await Api.workflowDef(name, wanted)) : all[all.length - 1] || (await Api.workflowDef(name));
  document.title = `${name} v${def.version || 1} · Workflows · Podium`;
  const versionSel = h('select', { id: 'def-version', 'aria-label': 'Version', onchange: async (e) => {
    // Staying (unsaved edits, Cancel) puts the picker back on the version on screen.
    if (!(await ctx.navigate(`/workflows/${encodeURIComponent(name)}?version=${e.target.value}`))) e.target.value = String(def.version || 1);
  } },
    (all.length ? all : [def]).map((d) => h('option', { value: d.version || 1, selected: (d.version || 1) === (def.version || 1) }, `version ${d.version || 1}`)));
  // Each tab's content is made once and kept: switching tabs never drops the editor's unsaved text.
  const panes = new Map();
  const latest = Math.max(def.version || 1, ...all.map((d) => d.version || 1));
  const t = tabs(TABS, (id, panel) => {
    if (!panes.has(id)) {
      if (id === 'diagram') {
        const g = graphView();
        panes.set(id, g.el);
        panel.append(g.el);
        g.update(def, null);
        return;
      }
      if (id === 'json') panes.set(id, jsonView(def, { label: 'Workflow definition JSON' }));
      else if (id === 'edit') panes.set(id, definitionEditor(def, ctx, { latest, onDirty: markDirty }));
      else if (id === 'run') panes.set(id, runTab(def, ctx));
    }
    panel.append(panes.get(id));
  }, { initial: ctx.query.get('tab') || 'diagram', label: 'Definition', onChange: (id) => history.replaceState(null, '', `${location.pathname}?version=${def.version || 1}${id === 'diagram' ? '' : `&tab=${id}`}`) });
  function markDirty(dirty) {
    const tab = t.el.querySelector('[data-tab="edit"]');
    tab.classList.toggle('dirty', dirty);
    tab.textContent = dirty ? 'Edit •' : 'Edit';
    if (dirty) tab.setAttribute('aria-label', 'Edit (unsaved edits)'); else tab.removeAttribute('aria-label');
  }
  ctx.signal.addEventListener('abort', () => panes.get('edit')?.release?.());
  main.append(h('div', { class: 'pad' },
    h('div', { class: 'crumbs' }, h('a', { href: '/workflows' }, 'Workflows'), ' / ', name),
    h('div', { class: 'page-head' }, h('div', null, h('h1', null, name), def.description ? h('p', { class: 'muted' }, def.description) : null),
      h('div', { class: 'page-actions' }, versionSel, h('a', { class: 'btn', href: `/?name=${encodeURIComponent(name)}` }, 'Executions'),
        deleteButton({ kind: 'workflow', name, version: def.version || 1, ctx, after: all.length > 1 ? `/workflows/${encodeURIComponent(name)}` : '/workflows' }))),
    h('div', { class: 'delete-slot' }),
    h('p', { class: 'muted small' }, `${(def.tasks || []).length} top-level tasks · schema ${def.schemaVersion || 2} · ${def.restartable === false ? 'not restartable' : 'restartable'} · timeout ${def.timeoutSeconds || 0} s (${def.timeoutPolicy || 'ALERT_ONLY'})${def.updateTime || def.createTime ? ' · updated ' + fmtTime(def.updateTime || def.createTime) : ''}`),
    t.el));
}

/** A new definition from a template (the list page's "New workflow"). */
export async function renderNew(main, ctx) {
  const name = ctx.query.get('new');
  document.title = 'New workflow · Podium';
  const template = { name, description: '', version: 1, schemaVersion: 2, inputParameters: [], tasks: [
    { name: `${name}_task`, taskReferenceName: 'first_task', type: 'SIMPLE', inputParameters: {} }],
  outputParameters: {}, restartable: true, timeoutPolicy: 'ALERT_ONLY', timeoutSeconds: 0 };
  main.append(h('div', { class: 'pad' }, h('div', { class: 'crumbs' }, h('a', { href: '/workflows' }, 'Workflows'), ' / new'),
    h('div', { class: 'page-head' }, h('h1', null, `New workflow: ${name}`)), definitionEditor(template, ctx, { isNew: true })));
}

/**
 * The editor of a definition. Tracks unsaved edits (onDirty(bool), a marker, a leave warning); Save
 * shows the line diff against the version edited and asks: a new version or overwrite this one.
 */
function definitionEditor(def, ctx, { latest = def.version || 1, onDirty = () => {}, isNew = false } = {}) {
  const savedText = JSON.stringify(def, null, 2);
  const savedCanon = JSON.stringify(def);
  const ed = jsonEditor({ text: savedText, label: 'Workflow definition JSON', id: 'def-editor', onInput: () => { schedulePreview(); checkDirty(); } });
  const preview = graphView();
  const status = h('div', { role: 'status', 'aria-live': 'polite' });
  const marker = h('span', { class: 'dirty-marker', hidden: true }, '● Unsaved edits');
  let timer = null;
  let errors = new Set();
  let dirty = false;
  let release = null;
  const schedulePreview = () => { clearTimeout(timer); timer = setTimeout(drawPreview, 350); };
  function drawPreview() {
    let v;
    try { v = JSON.parse(ed.text()); } catch { return; }
    if (v && typeof v === 'object') preview.update(v, null, { errors });
  }
  function isDirty() {
    const text = ed.text();
    if (text === savedText) return false;
    try { return JSON.stringify(JSON.parse(text)) !== savedCanon; } catch { return true; }
  }
  function setDirty(next) {
    if (next === dirty) return;
    dirty = next;
    marker.hidden = !dirty;
    onDirty(dirty);
    if (dirty) release = holdLeave(`Your edits to ${def.name || 'this definition'} are not saved.`);
    else if (release) { release(); release = null; }
  }
  const checkDirty = () => setDirty(isDirty());

  /** Ask how to save, showing what changes; resolves {version} or null. */
  async function confirmSave(v) {
    const current = def.version || 1;
    const next = latest + 1;
    const { changed, el: diffEl } = diffView(savedText, JSON.stringify({ ...v, version: current }, null, 2));
    const asNew = h('input', { type: 'radio', name: 'save-as', id: 'save-new', value: 'new', checked: true });
    const over = h('input', { type: 'radio', name: 'save-as', id: 'save-over', value: 'overwrite' });
    const body = h('div', { class: 'save-choice' },
      h('h3', null, `Changes against version ${current}`), changed ? diffEl : h('p', { class: 'muted' }, 'No changes to the definition itself.'),
      h('fieldset', null, h('legend', null, 'Save as'),
        h('label', { class: 'check', for: 'save-new' }, asNew, ` a new version (version ${next}); running executions keep theirs`),
        h('label', { class: 'check', for: 'save-over' }, over, ` version ${current}, overwriting it`)));
    const ok = await dialog({ title: `Save ${v.name}?`, body, confirm: 'Save' });
    if (!ok) return null;
    return { version: asNew.checked ? next : current, overwrite: !asNew.checked };
  }

  async function submit(save) {
    status.replaceChildren();
    let v = ed.parse();
    if (v === null) { errors = new Set(); return; }
    ed.showProblems([]);
    try {
      if (save) {
        let overwrite = true;
        if (!isNew) {
          if (!isDirty()) { status.replaceChildren(h('div', { class: 'ok-box' }, 'Nothing to save: the definition is unchanged.')); return; }
          const how = await confirmSave(v);
          if (!how) return;
          v = { ...v, version: how.version };
          overwrite = how.overwrite;
        }
        await Api.saveWorkflowDef(v, overwrite);
      } else await Api.validateWorkflowDef(v);
      errors = new Set();
      drawPreview();
      if (save) {
        setDirty(false);
        toast(`Saved ${v.name} version ${v.version || 1}`);
        ctx.navigate(`/workflows/${encodeURIComponent(v.name)}?version=${v.version || 1}`);
      } else status.replaceChildren(h('div', { class: 'ok-box' }, 'The definition is valid.'));
    } catch (err) {
      if (err instanceof ApiError && err.validationErrors.length) {
        ed.showProblems(err.validationErrors.map((e) => ({ path: e.path, message: e.message })));
        errors = new Set(err.validationErrors.map((e) => refAtPath(v, e.path)).filter(Boolean));
        status.replaceChildren(h('div', { class: 'error-box' }, `${err.message} (${err.validationErrors.length} problem${err.validationErrors.length === 1 ? '' : 's'})`));
        drawPreview();
      } else status.replaceChildren(errorBox(err));
    }
  }
  const format = () => { const v = ed.parse(); if (v !== null) { ed.setText(JSON.stringify(v, null, 2)); ed.showProblems([]); checkDirty(); } };
  const revert = () => { ed.setText(savedText); ed.showProblems([]); status.replaceChildren(); checkDirty(); drawPreview(); };
  const el = h('div', { class: 'split' },
    h('section', { 'aria-label': 'Editor' },
      h('div', { class: 'page-actions', style: undefined }, h('button', { type: 'button', class: 'btn', onclick: format }, 'Format'),
        h('button', { type: 'button', class: 'btn', dataset: { act: 'validate' }, onclick: () => submit(false) }, 'Validate'),
        isNew ? null : h('button', { type: 'button', class: 'btn', dataset: { act: 'revert' }, onclick: revert }, 'Revert'),
        h('button', { type: 'button', class: 'btn btn-primary needs-admin', dataset: { act: 'save' }, onclick: () => submit(true) }, 'Save…'), marker),
      status, ed.el),
    h('section', { 'aria-label': 'Preview' }, h('h3', null, 'Preview'), preview.el));
  el.release = () => { if (release) { release(); release = null; } };
  if (isNew) { setDirty(true); ctx.signal?.addEventListener('abort', el.release); }
  setTimeout(drawPreview, 0);
  return el;
}
