// Unsaved work: a page holds the door while it has edits; leaving (an in-app link, back/forward, a
// reload or closing the tab) asks first.
import { dialog } from './dom.js';

let held = null; // {message}

/** Hold the door with `message`; returns the function that lets go. */
export function holdLeave(message) {
  const mine = { message };
  held = mine;
  return () => { if (held === mine) held = null; };
}

/** Is a page holding the door? */
export const leaveHeld = () => held !== null;

/** May the page on screen be left? Asks when it holds unsaved work (and lets go when told yes). */
export async function mayLeave() {
  if (!held) return true;
  const ok = await dialog({ title: 'Leave with unsaved edits?', message: held.message, confirm: 'Leave and discard them', danger: true });
  if (ok) held = null;
  return !!ok;
}

window.addEventListener('beforeunload', (e) => {
  if (!held) return;
  e.preventDefault();
  e.returnValue = ''; // older browsers need a value to show their own prompt
});
