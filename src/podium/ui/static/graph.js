// The workflow graph: a block tree from the definition (and the execution, when there is one), laid out
// top to bottom. Series-parallel shapes only, as Conductor definitions are: sequences, forks, switches,
// loops; a dynamic fork with many branches becomes one collapsible group.

export const NODE_W = 196;
export const NODE_H = 52;
const VGAP = 38; // between consecutive nodes
const BR_GAP = 56; // from a fork / switch node to its branches (room for case labels)
const HGAP = 26; // between branches
const EMPTY_W = 80; // an empty switch branch
const PAD = 16; // inside loop frames and groups
const LOOP_RIGHT = 26; // room for the loop-back arrow
const MARGIN = 24;
const TERM_R = 13; // start / end circles
export const GROUP_MIN = 12; // dynamic forks with more branches than this are grouped
export const CELL_W = 132;
export const CELL_H = 30;
const CELL_GAP = 6;
const GRID_COLS = 8;
export const GROUP_W = 300;
export const GROUP_H = 72;
const GROUP_HEAD = 40;

// -- the execution, indexed by definition reference ----------------------------------------------
/** Strip a DO_WHILE iteration suffix (`ref__3`) from a task record's reference name. */
export function baseRef(t) {
  const ref = t.referenceTaskName || '';
  const m = /^(.*)__(\d+)$/.exec(ref);
  return m && t.iteration > 0 && +m[2] === t.iteration ? m[1] : ref;
}

/** Map definition ref → task records in seq order (retries and loop iterations included). */
export function indexTasks(tasks) {
  const byRef = new Map();
  for (const t of tasks || []) {
    const key = baseRef(t);
    let list = byRef.get(key);
    if (!list) byRef.set(key, (list = []));
    list.push(t);
  }
  for (const list of byRef.values()) list.sort((a, b) => (a.seq || 0) - (b.seq || 0));
  return byRef;
}

function makeNode(wt, idx, ref = wt.taskReferenceName) {
  const records = idx.get(ref) || [];
  const latest = records[records.length - 1] || null;
  const iterations = new Set(records.map((r) => r.iteration || 0));
  const lastIter = latest ? latest.iteration || 0 : 0;
  return {
    key: ref, ref, wt, records, latest,
    type: wt.type || 'SIMPLE',
    name: latest && latest.taskType && wt.type === 'DYNAMIC' ? latest.taskType : wt.name,
    status: latest ? latest.status : 'NOT_RUN',
    iterations: wt.type === 'DO_WHILE' ? (latest ? latest.iteration || latest.outputData?.iteration || 0 : 0) : iterations.size,
    attempts: records.filter((r) => (r.iteration || 0) === lastIter).length,
    subWorkflowId: latest ? latest.subWorkflowId || latest.outputData?.subWorkflowId : undefined,
  };
}

function selectedCase(rec) {
  if (!rec || !['COMPLETED', 'COMPLETED_WITH_ERRORS'].includes(rec.status)) return undefined;
  const o = rec.outputData || {};
  const v = o.selectedCase ?? (o.evaluationResult || [])[0] ?? (o.caseOutput || [])[0];
  return v === undefined ? null : String(v);
}

/** The block tree of a task list. `idx` from indexTasks (an empty Map for a bare definition). */
export function buildSeq(list, idx, opts) {
  return { kind: 'seq', items: (list || []).map((wt) => buildTask(wt, idx, opts)) };
}

function buildTask(wt, idx, opts) {
  const node = makeNode(wt, idx);
  switch (node.type) {
    case 'FORK_JOIN':
      return { kind: 'fork', node, branches: (wt.forkTasks || []).map((b) => ({ seq: buildSeq(b, idx, opts) })) };
    case 'FORK_JOIN_DYNAMIC':
      return buildDynamic(node, idx, opts);
    case 'SWITCH':
    case 'DECISION': {
      const chosen = selectedCase(node.latest);
      const cases = Object.entries(wt.decisionCases || {});
      const hit = chosen === undefined ? undefined : cases.some(([k]) => k === chosen) ? chosen : '__default__';
      const branches = cases.map(([k, list]) => ({ label: k, seq: buildSeq(list, idx, opts), dim: hit !== undefined && hit !== k }));
      branches.push({ label: 'default', seq: buildSeq(wt.defaultCase, idx, opts), dim: hit !== undefined && hit !== '__default__' });
      return { kind: 'fork', node, branches, labelled: true };
    }
    case 'DO_WHILE':
      return { kind: 'loop', node, body: buildSeq(wt.loopOver, idx, opts) };
    default:
      return { kind: 'task', node };
  }
}

function buildDynamic(node, idx, opts) {
  const rec = node.latest;
  let refs = rec && rec.inputData ? rec.inputData.forkedTasks : null;
  if (!Array.isArray(refs)) refs = [];
  const defs = new Map((Array.isArray(rec?.inputData?.forkedTaskDefs) ? rec.inputData.forkedTaskDefs : []).map((d) => [d.taskReferenceName, d]));
  const members = refs.map((ref) => {
    const records = idx.get(ref);
    const wt = (records && records[records.length - 1].workflowTask) || defs.get(ref) || { name: ref, taskReferenceName: ref, type: 'SIMPLE' };
    return makeNode(wt, idx, ref);
  });
  if (members.length > GROUP_MIN) {
    const expanded = opts?.expanded?.has(node.key) ?? false;
    return { kind: 'group', node, members, expanded };
  }
  if (!members.length) {
    const placeholder = { key: `${node.key}:dynamic`, ref: '(dynamic tasks)', type: 'DYNAMIC', name: 'decided at run time', status: 'NOT_RUN', records: [], placeholder: true, wt: {} };
    return { kind: 'fork', node, branches: [{ seq: { kind: 'seq', items: [{ kind: 'task', node: placeholder }] } }] };
  }
  return { kind: 'fork', node, branches: members.map((m) => ({ seq: { kind: 'seq', items: [{ kind: 'task', node: m }] } })) };
}

// -- measuring -------------------------------------------------------------------------------------
function measure(b) {
  switch (b.kind) {
    case 'task':
      b.w = NODE_W; b.h = NODE_H; break;
    case 'seq': {
      if (!b.items.length) { b.w = EMPTY_W; b.h = 0; break; }
      let w = 0; let hh = 0;
      for (const it of b.items) { measure(it); w = Math.max(w, it.w); hh += it.h; }
      b.w = w; b.h = hh + VGAP * (b.items.length - 1); break;
    }
    case 'fork': {
      let row = 0; let tall = 0;
      for (const br of b.branches) { measure(br.seq); row += br.seq.w; tall = Math.max(tall, br.seq.h); }
      row += HGAP * Math.max(0, b.branches.length - 1);
      b.rowW = row;
      b.w = Math.max(NODE_W, row);
      b.h = b.branches.length ? NODE_H + BR_GAP + tall : NODE_H; break;
    }
    case 'loop':
      measure(b.body);
      b.w = Math.max(NODE_W, b.body.w) + 2 * PAD + LOOP_RIGHT * 2;
      b.h = PAD + NODE_H + VGAP + b.body.h + 18 + PAD; break;
    case 'group': {
      const n = b.members.length;
      if (b.expanded) {
        b.cols = Math.min(n, GRID_COLS);
        const rows = Math.ceil(n / b.cols);
        b.gw = b.cols * CELL_W + (b.cols - 1) * CELL_GAP + 2 * PAD;
        b.gh = GROUP_HEAD + rows * CELL_H + (rows - 1) * CELL_GAP + PAD;
      } else { b.gw = GROUP_W; b.gh = GROUP_H; }
      b.w = Math.max(NODE_W, b.gw);
      b.h = NODE_H + VGAP + b.gh; break;
    }
    default: throw new Error(`unknown block ${b.kind}`);
  }
}

// -- placing ---------------------------------------------------------------------------------------
function edge(out, from, to, { dim = false, arrow = true, label, kind } = {}) {
  out.edges.push({ x1: from.x, y1: from.y, x2: to.x, y2: to.y, dim, arrow, label, kind });
}

function place(b, cx, top, dim, out) {
  switch (b.kind) {
    case 'task':
      out.nodes.push({ node: b.node, x: cx - NODE_W / 2, y: top, w: NODE_W, h: NODE_H, dim });
      return [{ x: cx, y: top + NODE_H }];
    case 'seq': {
      if (!b.items.length) return [{ x: cx, y: top, open: true }];
      let y = top; let exits = null;
      for (const it of b.items) {
        if (exits) for (const e of exits) edge(out, e, { x: cx, y }, { dim: dim || !!e.dim });
        exits = place(it, cx, y, dim, out);
        y += it.h + VGAP;
      }
      return exits;
    }
    case 'fork': {
      const head = place({ kind: 'task', node: b.node }, cx, top, dim, out)[0];
      if (!b.branches.length) return [head];
      const rowTop = top + NODE_H + BR_GAP;
      let x = cx - b.rowW / 2;
      const exits = [];
      for (const br of b.branches) {
        const bcx = x + br.seq.w / 2;
        const bdim = dim || !!br.dim;
        const empty = !br.seq.items.length;
        edge(out, head, { x: bcx, y: rowTop }, { dim: bdim, arrow: !empty, label: b.labelled ? br.label : undefined });
        exits.push(...place(br.seq, bcx, rowTop, bdim, out).map((e) => ({ ...e, dim: bdim })));
        x += br.seq.w + HGAP;
      }
      return exits;
    }
    case 'loop': {
      const x0 = cx - b.w / 2;
      const nodeTop = top + PAD;
      out.frames.push({ x: x0, y: top, w: b.w, h: b.h, dim, node: b.node });
      place({ kind: 'task', node: b.node }, cx, nodeTop, dim, out);
      const bodyTop = nodeTop + NODE_H + VGAP;
      edge(out, { x: cx, y: nodeTop + NODE_H }, { x: cx, y: bodyTop }, { dim, arrow: b.body.items.length > 0 });
      const exits = place(b.body, cx, bodyTop, dim, out);
      const tail = { x: cx, y: bodyTop + b.body.h + 18 };
      for (const e of exits) edge(out, e, tail, { dim: dim || !!e.dim, arrow: false });
      out.loops.push({ tail, right: x0 + b.w - LOOP_RIGHT, nodeY: nodeTop + NODE_H / 2, nodeRight: cx + NODE_W / 2, dim });
      return [tail];
    }
    case 'group': {
      const head = place({ kind: 'task', node: b.node }, cx, top, dim, out)[0];
      const gy = top + NODE_H + VGAP;
      const gx = cx - b.gw / 2;
      edge(out, head, { x: cx, y: gy }, { dim });
      const g = { key: b.node.key, x: gx, y: gy, w: b.gw, h: b.gh, members: b.members, expanded: b.expanded, dim, cells: [] };
      if (b.expanded) {
        b.members.forEach((m, i) => {
          const col = i % b.cols; const row = Math.floor(i / b.cols);
          g.cells.push({ node: m, x: gx + PAD + col * (CELL_W + CELL_GAP), y: gy + GROUP_HEAD + row * (CELL_H + CELL_GAP), w: CELL_W, h: CELL_H, dim });
        });
      }
      out.groups.push(g);
      return [{ x: cx, y: gy + b.gh }];
    }
    default: throw new Error(`unknown block ${b.kind}`);
  }
}

/**
 * Lay out a workflow. def: WorkflowDef; execution: Workflow or null; opts.expanded: Set of group keys.
 * Returns {width, height, nodes, edges, frames, loops, groups, start, end, root}.
 */
export function layout(def, execution, opts = {}) {
  const idx = indexTasks(execution ? execution.tasks : []);
  const root = buildSeq(def?.tasks || [], idx, opts);
  measure(root);
  const width = Math.max(root.w, NODE_W) + 2 * MARGIN;
  const cx = width / 2;
  const out = { nodes: [], edges: [], frames: [], loops: [], groups: [] };
  const start = { x: cx, y: MARGIN + TERM_R };
  const top = start.y + TERM_R + VGAP;
  const exits = root.items.length ? place(root, cx, top, false, out) : [{ x: cx, y: start.y + TERM_R }];
  if (root.items.length) edge(out, { x: cx, y: start.y + TERM_R }, { x: cx, y: top });
  const endY = (root.items.length ? top + root.h : start.y) + VGAP + TERM_R;
  const end = { x: cx, y: endY };
  for (const e of exits) edge(out, e, { x: cx, y: endY - TERM_R }, { dim: !!e.dim });
  return { width, height: endY + TERM_R + MARGIN, ...out, start, end, root, index: idx };
}

/** Every node of a layout by key (group members included, even when collapsed). */
export function nodesByKey(lay) {
  const m = new Map();
  for (const n of lay.nodes) m.set(n.node.key, n.node);
  for (const g of lay.groups) for (const n of g.members) m.set(n.key, n);
  return m;
}

/** Resolve a validation path like `tasks[1].loopOver[0].expression` to the WorkflowTask ref it is about. */
export function refAtPath(def, path) {
  let cur = def; let ref;
  const re = /([A-Za-z_$][\w$]*)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/g;
  let m;
  while ((m = re.exec(path || '')) !== null && cur !== undefined && cur !== null) {
    const key = m[1] ?? (m[2] !== undefined ? +m[2] : m[3] ?? m[4]);
    cur = cur[key];
    if (cur && typeof cur === 'object' && !Array.isArray(cur) && typeof cur.taskReferenceName === 'string') ref = cur.taskReferenceName;
  }
  return ref;
}
