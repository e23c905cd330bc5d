// Server down: a plain banner under the top bar while the server does not answer, a retry with
// back-off (1 s, doubling, at most 15 s), and a 'podium:back' event once it answers again.
import { ping } from './api.js';
import { h } from './dom.js';

const FIRST_MS = 1000;
const MAX_MS = 15000;

let banner = null;
let timer = null;
let countdown = null;
let delay = FIRST_MS;

function show() {
  if (!banner) {
    banner = h('div', { class: 'offline-banner', role: 'alert', id: 'offline-banner' });
    document.querySelector('.topbar')?.after(banner);
  }
  banner.hidden = false;
}

function draw(seconds) {
  const retry = h('button', { type: 'button', class: 'btn btn-small', onclick: () => attempt() }, 'Retry now');
  banner.replaceChildren(
    h('strong', null, 'The Podium server is not answering.'), ' ',
    h('span', { class: 'offline-next' }, seconds > 0 ? `Trying again in ${seconds} s…` : 'Trying again…'), ' ', retry);
}

function wait(ms) {
  clearTimeout(timer);
  clearInterval(countdown);
  let left = Math.ceil(ms / 1000);
  draw(left);
  countdown = setInterval(() => { left -= 1; if (left > 0) draw(left); }, 1000);
  timer = setTimeout(attempt, ms);
}

async function attempt() {
  clearTimeout(timer);
  clearInterval(countdown);
  draw(0);
  if (await ping()) return; // 'podium:online' hides the banner
  delay = Math.min(MAX_MS, delay * 2);
  wait(delay);
}

window.addEventListener('podium:offline', () => {
  show();
  delay = FIRST_MS;
  wait(delay);
});

window.addEventListener('podium:online', () => {
  clearTimeout(timer);
  clearInterval(countdown);
  if (banner) banner.hidden = true;
  window.dispatchEvent(new CustomEvent('podium:back'));
});
