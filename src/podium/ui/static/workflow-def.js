// One workflow definition: versions, diagram, JSON, edit with validation pinned to lines and nodes, run.
import { Api, ApiError } from './api.js';
import { errorBox, fmtTime, h, jsonView, tabs, toast } from './dom.js';
import { jsonEditor } from './editor.js';
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
  const versionSel = h('select', { id: 'def-version', 'aria-label': 'Version', onchange: (e) => ctx.navigate(`/workflows/${encodeURIComponent(name)}?version=${e.target.value}`) },
    (all.length ? all : [def]).map((d) => h('option', { value: d.version || 1, selected: (d.version || 1) === (def.version || 1) }, `version ${d.version || 1}`)));
  const t = tabs(TABS, (id, panel) => {
    if (id === 'diagram') {
      const g = graphView();
      panel.append(g.el);
      g.update(def, null);
    } else if (id === 'json') panel.append(jsonView(def, { label: 'Workflow definition JSON' }));
    else if (id === 'edit') panel.append(definitionEditor(def, ctx));
    else if (id === 'run') panel.append(runTab(def, ctx));
  }, { initial: ctx.query.get('tab') || 'diagram', label: 'Definition', onChange: (id) => history.replaceState(null, '', `${location.pathname}?version=${def.version || 1}${id === 'diagram' ? '' : `&tab=${id}`}`) });
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
    h('div', { class: 'page-head' }, h('h1', null, `New workflow: ${name}`)), definitionEditor(template, ctx)));
}

function definitionEditor(def, ctx) {
  const ed = jsonEditor({ text: JSON.stringify(def, null, 2), label: 'Workflow definition JSON', id: 'def-editor', onInput: () => schedulePreview() });
  const preview = graphView();
  const status = h('div', { role: 'status', 'aria-live': 'polite' });
  let timer = null;
  let errors = new Set();
  const schedulePreview = () => { clearTimeout(timer); timer = setTimeout(drawPreview, 350); };
  function drawPreview() {
    let v;
    try { v = JSON.parse(ed.text()); } catch { return; }
    if (v && typeof v === 'object') preview.update(v, null, { errors });
  }
  async function submit(save) {
    status.replaceChildren();
    const v = ed.parse();
    if (v === null) { errors = new Set(); return; }
    ed.showProblems([]);
    try {
      if (save) await Api.saveWorkflowDef(v); else await Api.validateWorkflowDef(v);
      errors = new Set();
      drawPreview();
      if (save) {
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
  const format = () => { const v = ed.parse(); if (v !== null) { ed.setText(JSON.stringify(v, null, 2)); ed.showProblems([]); } };
  const el = h('div', { class: 'split' },
    h('section', { 'aria-label': 'Editor' },
      h('div', { class: 'page-actions', style: undefined }, h('button', { type: 'button', class: 'btn', onclick: format }, 'Format'),
        h('button', { type: 'button', class: 'btn', dataset: { act: 'validate' }, onclick: () => submit(false) }, 'Validate'),
        h('button', { type: 'button', class: 'btn btn-primary needs-admin', dataset: { act: 'save' }, onclick: () => submit(true) }, 'Save')),
      status, ed.el),
    h('section', { 'aria-label': 'Preview' }, h('h3', null, 'Preview'), preview.el));
  setTimeout(drawPreview, 0);
  return el;
}
