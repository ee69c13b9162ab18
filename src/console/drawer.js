// One side panel at a time, as a modal dialog: Escape or the close button shuts it and focus goes
// back where it came from.
import { fill, h } from './dom.js';

let current = null;

// Escape closes it wherever focus is (a button that disabled itself while busy hands focus to the body).
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && current) closeDrawer();
});

/** Opens the drawer titled `title`; returns its body element to fill. */
export function openDrawer(title) {
  const opener = current?.opener ?? document.activeElement;
  closeDrawer({ restoreFocus: false });
  const heading = h('h2', { id: 'drawer-title', tabindex: '-1' }, title);
  const body = h('div', { class: 'drawer-body' });
  const close = h('button', { type: 'button', class: 'quiet close', 'aria-label': 'Close' }, '✕');
  const panel = h(
    'aside',
    { class: 'drawer', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'drawer-title' },
    h('div', { class: 'drawer-head' }, heading, close),
    body,
  );
  const backdrop = h('div', { class: 'backdrop' });
  backdrop.addEventListener('click', () => closeDrawer());
  close.addEventListener('click', () => closeDrawer());
  fill(document.getElementById('drawer-root'), backdrop, panel);
  document.getElementById('main').setAttribute('aria-hidden', 'true');
  current = { opener, heading, body };
  heading.focus();
  return { body, setTitle: (text) => (heading.textContent = text) };
}

export function closeDrawer({ restoreFocus = true } = {}) {
  if (!current) return;
  const { opener } = current;
  current = null;
  fill(document.getElementById('drawer-root'));
  document.getElementById('main').removeAttribute('aria-hidden');
  if (restoreFocus && opener && document.contains(opener)) opener.focus();
}

/** True while `body` is still the drawer's (an answer that arrives after it closed is dropped). */
export function isOpen(body) {
  return current?.body === body;
}
