// Deleting a workflow definition version or a task definition, from its page. The server refuses (409)
// while another workflow definition still uses it; the refusal is shown on the page with its reason.
import { del } from './api.js';
import { dialog, errorText, h, toast } from './dom.js';

const enc = encodeURIComponent;

/** A Delete button for `kind` 'workflow' (one version) or 'task'; goes to `after` once deleted. */
export function deleteButton({ kind, name, version, ctx, after }) {
  const what = kind === 'workflow' ? `workflow definition ${name} version ${version}` : `task definition ${name}`;
  return h('button', { type: 'button', class: 'btn btn-danger needs-admin', dataset: { act: 'delete-def' }, onclick: async (e) => {
    const slot = e.currentTarget.closest('.pad')?.querySelector('.delete-slot');
    const ok = await dialog({
      title: `Delete the ${what}?`, confirm: 'Delete', danger: true,
      message: kind === 'workflow'
        ? 'Executions already started keep their copy of the definition; new ones can no longer use this version.'
        : 'Workers of this task type keep polling; tasks of this type run with the default settings.',
    });
    if (!ok) return;
    slot?.replaceChildren();
    try {
      if (kind === 'workflow') await del(`/metadata/workflow/${enc(name)}/${enc(version)}`);
      else await del(`/metadata/taskdefs/${enc(name)}`);
      toast(`Deleted the ${what}`);
      ctx.navigate(after);
    } catch (err) {
      const box = h('div', { class: 'error-box delete-refused', role: 'alert' }, `Not deleted: ${errorText(err)}`);
      if (slot) slot.replaceChildren(box); else toast(errorText(err), 'error');
    }
  } }, 'Delete');
}
