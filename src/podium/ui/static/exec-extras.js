// Execution actions added by issue #17, kept apart from execution.js: retry resuming the failed
// sub-workflows where they failed (instead of starting them again), and "run again with this input".
import { post } from './api.js';
import { h } from './dom.js';
import { runAgainHref } from './run.js';

const RETRYABLE = ['FAILED', 'TIMED_OUT', 'TERMINATED'];

/** The extra action buttons for `wf`; `run(fn, doneMessage)` is the page's act-then-refresh helper. */
export function extraActions(wf, run) {
  const out = [];
  const id = wf.workflowId;
  if (RETRYABLE.includes(wf.status) && (wf.tasks || []).some((t) => t.taskType === 'SUB_WORKFLOW')) {
    out.push(h('button', {
      type: 'button', class: 'btn needs-write', dataset: { action: 'retry-resume' },
      title: 'Retry; a failed sub-workflow is retried where it failed instead of started again',
      onclick: () => run(() => post(`/workflow/${encodeURIComponent(id)}/retry`, undefined, { resumeSubworkflowTasks: true }), 'Retrying, resuming the sub-workflows'),
    }, 'Retry, resume sub-workflows'));
  }
  out.push(h('a', { class: 'btn needs-write', href: runAgainHref(wf), dataset: { action: 'run-again' }, title: 'Open the run form filled with this execution\'s input' }, 'Run again…'));
  return out;
}
