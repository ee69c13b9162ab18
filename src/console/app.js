// The console's shell: sign-in, the hash router (#/webhooks, #/webhooks/NS/NAME, …), the header.
import { api, ApiError, consoleConfig, token, whenUnauthorized } from './api.js';
import { fill, h } from './dom.js';
import { say, sayError, state } from './state.js';
import { renderSubscriptionDeliveries, renderSubscriptions } from './subscriptions.js';
import { closeDrawer } from './drawer.js';
import { renderDeliveries, renderWaits, renderWebhooks } from './webhooks.js';

const main = document.getElementById('main');

/** Pages by the first part of the hash; each gets the decoded parts after it and the query. */
const PAGES = {
  webhooks: (parts, query) => {
    if (parts.length === 0) return renderWebhooks(main);
    const [namespace, name, tab] = parts;
    return tab === 'waits' ? renderWaits(main, namespace, name) : renderDeliveries(main, namespace, name, query);
  },
  subscriptions: (parts) =>
    parts.length === 0 ? renderSubscriptions(main) : renderSubscriptionDeliveries(main, parts[0], parts[1]),
};

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { section: parts[0] ?? 'webhooks', parts: parts.slice(1), query: new URLSearchParams(query) };
}

let rendering = 0;
async function show() {
  closeDrawer();
  if (!token.get() || !state.identity) return showSignIn();
  const { section, parts, query } = parseHash();
  const page = PAGES[section];
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.dataset.section === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (!page) {
    location.hash = '#/webhooks';
    return;
  }
  const mine = ++rendering;
  say('');
  fill(main, h('p', { class: 'muted' }, 'Loading…'));
  main.setAttribute('aria-busy', 'true');
  try {
    await page(parts, query);
  } catch (err) {
    // Signed out meanwhile (a refused token): the sign-in form stays.
    if (mine !== rendering || !state.identity) return;
    fill(main, h('h1', {}, 'Could not load this page'), h('p', { class: 'error' }, err?.message ?? String(err)));
    if (!(err instanceof ApiError)) console.error(err);
  } finally {
    if (mine === rendering) main.removeAttribute('aria-busy');
  }
}

function showSignIn(message) {
  document.getElementById('nav').hidden = true;
  document.getElementById('sign-out').hidden = true;
  document.getElementById('who').textContent = '';
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'token-help',
  });
  const error = h('p', { class: 'error', role: 'alert' }, message ?? '');
  const form = h(
    'form',
    { class: 'sign-in', novalidate: true },
    h('h1', {}, 'Sign in'),
    h('label', { for: 'token' }, 'API token or admin token'),
    input,
    h(
      'p',
      { id: 'token-help', class: 'muted' },
      'The token is sent as "Authorization: Bearer" to this ingress only, and kept in this tab until it closes.',
    ),
    h('button', { type: 'submit' }, 'Sign in'),
    error,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (!value) {
      error.textContent = 'Paste a token first.';
      return;
    }
    token.set(value);
    const problem = await signIn();
    if (problem) {
      token.clear();
      error.textContent = problem;
      input.focus();
    } else {
      await show();
    }
  });
  fill(main, form);
  input.focus();
}

/** Checks the stored token against the API; null when it works, else what to tell the operator. */
async function signIn() {
  try {
    try {
      state.identity = await api('GET', 'whoami');
    } catch (err) {
      if (!(err instanceof ApiError) || !err.unavailable) throw err;
      // An ingress without API tokens: any authenticated route tells whether the token works.
      await api('GET', 'profiles');
      state.identity = { name: 'admin token' };
    }
    state.config = { ...state.config, ...(await consoleConfig()) };
  } catch (err) {
    state.identity = null;
    if (err instanceof ApiError && err.status === 401) return 'That token was refused.';
    return err?.message ?? String(err);
  }
  const who = state.identity;
  const namespaces = Array.isArray(who.namespaces) ? who.namespaces : [];
  const scope =
    namespaces.length === 0 ? '' : namespaces.includes('*') ? ' · all namespaces' : ` · ${namespaces.join(', ')}`;
  const role = who.role ? ` · ${who.role}${scope}` : '';
  document.getElementById('who').textContent = `${who.name ?? who.token ?? 'signed in'}${role}`;
  document.getElementById('nav').hidden = false;
  document.getElementById('sign-out').hidden = false;
  return null;
}

function signOut(message) {
  token.clear();
  state.identity = null;
  closeDrawer();
  showSignIn(message);
}

whenUnauthorized(() => {
  if (state.identity) signOut('The token was refused (revoked or expired?); sign in again.');
});
document.getElementById('sign-out').addEventListener('click', () => signOut());
window.addEventListener('hashchange', () => void show());

async function start() {
  if (token.get()) {
    const problem = await signIn();
    if (problem) {
      token.clear();
      return showSignIn(problem);
    }
  }
  await show();
}
start().catch((err) => sayError(err));
