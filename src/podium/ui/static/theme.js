// Light and dark themes: the system's choice (prefers-color-scheme) until the user picks one with the
// header's toggle, which is remembered (localStorage). theme-boot.js applies it before the first paint.
import { h } from './dom.js';

const KEY = 'podium.theme';
const media = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;

function stored() {
  try { return localStorage.getItem(KEY); } catch { return null; }
}

/** The theme on screen: 'light' or 'dark'. */
export const currentTheme = () => (document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light');

function apply(theme) {
  document.documentElement.dataset.theme = theme;
  for (const b of document.querySelectorAll('[data-act=theme]')) {
    b.setAttribute('aria-pressed', String(theme === 'dark'));
    b.textContent = theme === 'dark' ? '☾ Dark' : '☀ Light';
  }
}

/** Put the toggle in `slot`; follow the system's setting while the user has not chosen. */
export function themeToggle(slot) {
  const button = h('button', { type: 'button', class: 'btn btn-small btn-ghost theme-toggle', dataset: { act: 'theme' }, title: 'Dark mode', 'aria-label': 'Dark mode', onclick: () => {
    const next = currentTheme() === 'dark' ? 'light' : 'dark';
    try { localStorage.setItem(KEY, next); } catch { /* storage disabled: this page only */ }
    apply(next);
  } });
  slot.replaceChildren(button);
  media?.addEventListener('change', (e) => { if (!stored()) apply(e.matches ? 'dark' : 'light'); });
  apply(stored() || (media?.matches ? 'dark' : 'light'));
}
