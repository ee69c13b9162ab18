// Building the page without markup strings: every value from the API becomes a text node, so
// nothing it holds is ever parsed as HTML.

/**
 * An element: `h('a', { href, class: 'x', onclick }, 'text', child, [more])`. Attributes go
 * through setAttribute (`on…` ones are listeners); children are nodes or strings (text nodes).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const UNITS = [
  ['year', 365 * 86400],
  ['month', 30 * 86400],
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/** `<time>` reading "3 minutes ago", the instant in its title; "—" for none. */
export function when(iso) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  const date = new Date(iso);
  const seconds = Math.round((date.getTime() - Date.now()) / 1000);
  const [unit, size] = UNITS.find(([, s]) => Math.abs(seconds) >= s) ?? ['second', 1];
  return h(
    'time',
    { datetime: date.toISOString(), title: date.toISOString() },
    relative.format(Math.round(seconds / size), unit),
  );
}

/** An outcome or state as a coloured badge (the word is always written out). */
export function badge(value) {
  const text = value ?? 'unknown';
  return h('span', { class: `badge badge-${String(text).replace(/[^a-z_]/g, '')}` }, text);
}

/** Pretty JSON when the text is JSON, the text as it is otherwise. */
export function pretty(value) {
  if (typeof value !== 'string') return JSON.stringify(value, null, 2);
  try {
    return JSON.stringify(JSON.parse(value), null, 2);
  } catch {
    return value;
  }
}

/** A resource page's crumbs (its list, the namespace unless `default`, its name) and heading. */
export function pageTitle(listLabel, listHref, namespace, name) {
  return [
    h(
      'p',
      { class: 'crumbs' },
      h('a', { href: listHref }, listLabel),
      ' / ',
      namespace !== 'default' ? `${namespace} / ` : '',
      name,
    ),
    h('h1', {}, name),
  ];
}

/** A `#/…` link; parts are encoded one by one. */
export function route(...parts) {
  return '#/' + parts.map((p) => encodeURIComponent(p)).join('/');
}

/** A button that shows it is busy while `action` runs, and cannot be pressed twice meanwhile. */
export function actionButton(label, action, attrs = {}) {
  const button = h('button', { type: 'button', ...attrs }, label);
  button.addEventListener('click', async () => {
    if (button.disabled) return;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try {
      await action(button);
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  });
  return button;
}

/** A table with a header row; `rows` are arrays of cells (nodes or strings). */
export function table(caption, headers, rows, attrs = {}) {
  return h(
    'table',
    attrs,
    h('caption', { class: 'visually-hidden' }, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((text) => h('th', { scope: 'col' }, text)),
      ),
    ),
    h('tbody', {}, rows),
  );
}
