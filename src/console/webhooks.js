// Webhooks: the list, one webhook's delivery log (search, load more, replay filtered), a delivery
// in the drawer (body, headers, the run in the Temporal UI, replay), and the runs waiting on it.
import { api, ApiError, inNamespace, seg } from './api.js';
import { actionButton, badge, fill, h, pageTitle, pretty, route, table, when } from './dom.js';
import { isOpen, openDrawer } from './drawer.js';
import { operateAttrs, runUrl, say, sayError } from './state.js';

export const OUTCOMES = ['pending', 'started', 'duplicate', 'rejected', 'failed', 'ignored', 'challenge', 'signaled'];
const FILTERS = [
  ['status', 'HTTP status', 'e.g. 400', 'number'],
  ['eventId', 'Event id', '', 'text'],
  ['workflowId', 'Workflow id', '', 'text'],
  ['since', 'Since', '2h, 7d or 2026-12-01T00:00:00Z', 'text'],
  ['until', 'Until', 'same forms as since', 'text'],
];

/** The ingress's base (`<mount>/`), for endpoint URLs when TEMPOHOOK_PUBLIC_URL is not set. */
const INGRESS_BASE = new URL('../', document.baseURI);

function endpointUrl(webhook) {
  return webhook.status.url ?? new URL(`.${webhook.status.endpointPath}`, INGRESS_BASE).toString();
}

async function copy(text, field) {
  try {
    await navigator.clipboard.writeText(text);
    say('Endpoint URL copied.');
  } catch {
    // No clipboard outside a secure context (plain http to another host): select it for Ctrl-C.
    field.focus();
    field.select();
    say('Selected: press Ctrl-C (Cmd-C) to copy.');
  }
}

function runLink(workflowId, runId, label = 'Open run in Temporal UI') {
  const url = runUrl(workflowId, runId);
  if (!url) return null;
  return h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', class: 'run-link' }, label);
}

export async function renderWebhooks(main) {
  const { items } = await api('GET', 'webhooks');
  const rows = items.map((w) => {
    const url = endpointUrl(w);
    const field = h('input', {
      type: 'text',
      readonly: true,
      value: url,
      class: 'endpoint',
      'aria-label': `Endpoint URL of ${w.metadata.name}`,
    });
    return h(
      'tr',
      {},
      h(
        'th',
        { scope: 'row' },
        h('a', { href: route('webhooks', w.metadata.namespace, w.metadata.name) }, w.metadata.name),
        w.metadata.namespace !== 'default' ? h('span', { class: 'ns' }, w.metadata.namespace) : null,
      ),
      h(
        'td',
        {},
        h(
          'div',
          { class: 'endpoint-cell' },
          field,
          h(
            'button',
            {
              type: 'button',
              class: 'quiet',
              onclick: () => copy(url, field),
              'aria-label': `Copy endpoint URL of ${w.metadata.name}`,
            },
            'Copy',
          ),
        ),
      ),
      h('td', {}, w.spec?.profile ?? '—'),
      h('td', {}, w.status.verified ? badge('verified') : badge('unverified')),
      h('td', {}, when(w.status.lastDeliveryAt)),
      h(
        'td',
        { class: 'wrap' },
        w.status.lastError ? [h('span', { class: 'error' }, w.status.lastError), ' ', when(w.status.lastErrorAt)] : '—',
      ),
      h('td', { class: 'num' }, `${w.status.deliveriesAccepted ?? 0} / ${w.status.deliveriesRejected ?? 0}`),
    );
  });
  fill(
    main,
    h('h1', {}, 'Webhooks'),
    items.length === 0
      ? h(
          'p',
          { class: 'muted' },
          'No webhooks yet: apply one with `tempohook apply -f webhook.yaml` or PUT /v1/webhooks/NAME.',
        )
      : table(
          'Webhooks',
          ['Webhook', 'Endpoint URL', 'Profile', 'Verified', 'Last delivery', 'Last error', 'Accepted / rejected'],
          rows,
          { class: 'webhooks' },
        ),
  );
}

function webhookHeader(namespace, name, tab) {
  return [
    ...pageTitle('Webhooks', '#/webhooks', namespace, name),
    h(
      'nav',
      { class: 'tabs', 'aria-label': 'Webhook' },
      h(
        'a',
        { href: route('webhooks', namespace, name), 'aria-current': tab === 'deliveries' ? 'page' : null },
        'Deliveries',
      ),
      h(
        'a',
        { href: route('webhooks', namespace, name, 'waits'), 'aria-current': tab === 'waits' ? 'page' : null },
        'Open waits',
      ),
    ),
  ];
}

/** The search of the hash's query, as the API takes it. */
function filtersOf(query) {
  const filters = {};
  const outcomes = query
    .getAll('outcome')
    .flatMap((v) => v.split(','))
    .filter(Boolean);
  if (outcomes.length > 0) filters.outcome = outcomes.join(',');
  for (const [name] of FILTERS) if (query.get(name)) filters[name] = query.get(name);
  return filters;
}

function filterForm(namespace, name, filters) {
  const chosen = new Set((filters.outcome ?? '').split(',').filter(Boolean));
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Search deliveries' },
    h(
      'fieldset',
      { class: 'outcomes' },
      h('legend', {}, 'Outcome'),
      OUTCOMES.map((o) =>
        h('label', {}, h('input', { type: 'checkbox', name: 'outcome', value: o, checked: chosen.has(o) }), ' ', o),
      ),
    ),
    FILTERS.map(([key, label, placeholder, type]) =>
      h(
        'label',
        { class: 'field' },
        h('span', {}, label),
        h('input', {
          name: key,
          type,
          value: filters[key] ?? '',
          placeholder,
          ...(type === 'number' ? { min: 100, max: 599 } : {}),
        }),
      ),
    ),
    h(
      'div',
      { class: 'buttons' },
      h('button', { type: 'submit' }, 'Search'),
      h('a', { href: route('webhooks', namespace, name), class: 'button quiet' }, 'Clear'),
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const query = new URLSearchParams();
    const outcomes = data.getAll('outcome');
    if (outcomes.length > 0) query.set('outcome', outcomes.join(','));
    for (const [key] of FILTERS) {
      const value = String(data.get(key) ?? '').trim();
      if (value) query.set(key, value);
    }
    const hash = route('webhooks', namespace, name) + (query.size > 0 ? `?${query}` : '');
    if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
    else location.hash = hash;
  });
  return form;
}

export async function renderDeliveries(main, namespace, name, query) {
  const filters = filtersOf(query);
  const path = `webhooks/${seg(name)}/deliveries`;
  const first = await api('GET', path, { query: inNamespace(namespace, { ...filters, limit: 50 }) });
  const body = h('tbody', {});
  const more = h('div', { class: 'more' });
  const replayPanel = h('div', { class: 'replay-panel' });
  const filtered = Object.keys(filters).length > 0;

  // The log again, the drawer left open (it shows the replay's new delivery).
  const reload = () =>
    renderDeliveries(main, namespace, name, query).catch((err) => sayError(err, 'Refreshing deliveries'));
  const open = (id) => openDelivery(namespace, id, { onChange: reload });
  const addPage = (page) => {
    for (const d of page.items) body.append(deliveryRow(d, open));
    fill(
      more,
      page.nextCursor
        ? actionButton('Load more', async () => {
            try {
              addPage(
                await api('GET', path, {
                  query: inNamespace(namespace, { ...filters, limit: 50, cursor: page.nextCursor }),
                }),
              );
            } catch (err) {
              sayError(err, 'Loading more deliveries');
            }
          })
        : body.children.length > 0
          ? h('p', { class: 'muted' }, 'No more deliveries.')
          : null,
    );
  };
  addPage(first);

  fill(
    main,
    webhookHeader(namespace, name, 'deliveries'),
    filterForm(namespace, name, filters),
    h(
      'div',
      { class: 'toolbar' },
      filtered
        ? actionButton('Replay every matching delivery', () => startBulkReplay(namespace, name, filters, replayPanel), {
            id: 'replay-filtered',
            ...operateAttrs(),
          })
        : h('button', { type: 'button', disabled: true, id: 'replay-filtered' }, 'Replay every matching delivery'),
      h(
        'span',
        { class: 'muted' },
        filtered
          ? 'Runs each delivery this search matches through the pipeline again, in the background (an event that already started a run answers duplicate).'
          : 'Search first (e.g. outcome failed, since 2h) to replay the deliveries that match.',
      ),
    ),
    replayPanel,
    body.children.length === 0
      ? h('p', { class: 'muted empty' }, filtered ? 'No delivery matches this search.' : 'No deliveries yet.')
      : h(
          'table',
          { class: 'deliveries' },
          h('caption', { class: 'visually-hidden' }, `Deliveries of ${name}, newest first`),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Received', 'Outcome', 'HTTP', 'Event id', 'Workflow id', 'Reason', ''].map((t) =>
                h('th', { scope: 'col' }, t),
              ),
            ),
          ),
          body,
        ),
    more,
  );
  void resumeReplay(namespace, name, replayPanel);
}

function deliveryRow(d, open) {
  return h(
    'tr',
    { dataset: { deliveryId: d.id, outcome: d.outcome } },
    h('td', {}, when(d.receivedAt)),
    h('td', {}, badge(d.outcome), d.replayOf ? h('span', { class: 'muted' }, ' replay') : null),
    h('td', { class: 'num' }, d.httpStatus ?? '—'),
    h('td', { class: 'mono' }, d.eventId ?? '—'),
    h('td', { class: 'mono wrap' }, d.workflowId ?? '—'),
    h('td', { class: 'wrap' }, d.reason ?? ''),
    h(
      'td',
      {},
      h(
        'button',
        {
          type: 'button',
          class: 'quiet open',
          onclick: () => open(d.id),
          'aria-label': `Open delivery ${d.eventId ?? d.id}`,
        },
        'Open',
      ),
    ),
  );
}

/** A delivery in the drawer; `onChange` after a replay recorded a new one. */
export async function openDelivery(namespace, id, { onChange } = {}) {
  const { body, setTitle } = openDrawer('Delivery');
  fill(body, h('p', { class: 'muted' }, 'Loading…'));
  let d;
  try {
    d = await api('GET', `deliveries/${seg(id)}`, { query: inNamespace(namespace) });
  } catch (err) {
    if (isOpen(body)) fill(body, h('p', { class: 'error' }, err.message));
    return;
  }
  if (!isOpen(body)) return;
  setTitle(`Delivery ${d.eventId ?? d.id}`);
  const runHref = d.run?.url ?? null;
  const workflowId = d.run?.workflowId ?? d.workflowId;
  const runId = d.run?.runId ?? d.runId;
  const link = runHref
    ? h(
        'a',
        { href: runHref, target: '_blank', rel: 'noopener noreferrer', class: 'run-link' },
        'Open run in Temporal UI',
      )
    : runLink(workflowId, runId);
  const facts = [
    ['Outcome', [badge(d.outcome), d.httpStatus ? ` HTTP ${d.httpStatus}` : '']],
    ['Reason', d.reason],
    ['Received', when(d.receivedAt)],
    ['Event id', d.eventId],
    ['Source event', d.sourceEvent],
    ['Workflow id', workflowId],
    ['Run id', runId],
    ['Run', link],
    ['Duplicate of', d.duplicateOf],
    [
      'Replay of',
      d.replayOf
        ? h(
            'button',
            { type: 'button', class: 'link', onclick: () => openDelivery(namespace, d.replayOf, { onChange }) },
            d.replayOf,
          )
        : null,
    ],
    [
      'Webhook',
      d.webhook ? (typeof d.webhook === 'string' ? d.webhook : (d.webhook.name ?? JSON.stringify(d.webhook))) : null,
    ],
    ['Delivery id', d.id],
  ].filter(([, value]) => value !== null && value !== undefined && value !== '');

  // A delivery still in flight (or whose ingress died) settles within a minute or so: look again.
  if (d.outcome === 'pending')
    setTimeout(() => {
      if (isOpen(body)) void openDelivery(namespace, id, { onChange });
    }, 2000);
  const replayResult = h('div', { class: 'replay-result', 'aria-live': 'polite' });
  const fresh = h('input', { type: 'checkbox', id: 'replay-fresh' });
  fill(
    body,
    h(
      'dl',
      { class: 'facts' },
      facts.map(([term, value]) => [h('dt', {}, term), h('dd', { class: 'wrap' }, value)]),
    ),
    Array.isArray(d.actions) && d.actions.length > 0 ? actionsTable(d.actions) : null,
    h(
      'section',
      { class: 'replay', 'aria-label': 'Replay' },
      h('h3', {}, 'Replay'),
      h(
        'p',
        { class: 'muted' },
        'Runs the stored delivery through the pipeline again, as a new delivery. Same event id: a run it already started answers duplicate; a failed start is started now.',
      ),
      h('label', { for: 'replay-fresh' }, fresh, ' with a new event id (a deliberate second run)'),
      h(
        'div',
        { class: 'buttons' },
        actionButton('Replay this delivery', () => replayOne(namespace, d, fresh.checked, replayResult, onChange), {
          class: 'primary',
          id: 'replay-one',
          ...operateAttrs(),
        }),
      ),
      replayResult,
    ),
    h('h3', {}, 'Body'),
    bodyView(d),
    h('h3', {}, 'Headers'),
    d.headers && Object.keys(d.headers).length > 0
      ? table(
          'Headers',
          ['Name', 'Value'],
          Object.entries(d.headers)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([k, v]) =>
              h(
                'tr',
                {},
                h('th', { scope: 'row', class: 'mono' }, k),
                h('td', { class: 'mono wrap' }, Array.isArray(v) ? v.join(', ') : String(v)),
              ),
            ),
          { class: 'headers' },
        )
      : h('p', { class: 'muted' }, 'No headers kept.'),
  );
}

/** The kept body: pretty JSON, text, or base64 said as such; why there is none otherwise. */
function bodyView(d) {
  if (d.body === undefined || d.body === null) {
    const why =
      d.payloadKept === false
        ? 'Not kept: the request was not verified, spec.retention.payloads is 0, or its time has passed.'
        : 'This ingress does not return bodies yet.';
    return h('p', { class: 'muted' }, why);
  }
  const about = [
    d.contentType,
    d.bodyBytes !== undefined ? `${d.bodyBytes} bytes` : null,
    d.bodyEncoding === 'base64' ? 'binary, shown as base64' : null,
  ]
    .filter(Boolean)
    .join(' · ');
  return [
    about ? h('p', { class: 'muted small' }, about) : null,
    h(
      'pre',
      { class: 'payload', tabindex: '0', 'aria-label': 'Body' },
      d.bodyEncoding === 'text' ? String(d.body) : pretty(d.body),
    ),
  ];
}

function actionsTable(actions) {
  return [
    h('h3', {}, 'Routes'),
    table(
      'What each route did',
      ['Route', 'Action', 'Status', 'Workflow', 'Reason'],
      actions.map((a) =>
        h(
          'tr',
          {},
          h('td', {}, a.route ?? '—'),
          h('td', {}, a.action ?? '—'),
          h('td', {}, badge(a.status)),
          h('td', { class: 'mono wrap' }, a.workflowId ? runLink(a.workflowId, a.runId, a.workflowId) : '—'),
          h('td', { class: 'wrap' }, a.reason ?? ''),
        ),
      ),
    ),
  ];
}

async function replayOne(namespace, d, newEventId, result, onChange) {
  fill(result, h('p', { class: 'muted' }, 'Replaying…'));
  let answer;
  try {
    answer = await api('POST', `deliveries/${seg(d.id)}/replay`, {
      query: inNamespace(namespace, newEventId ? { newEventId: 'true' } : {}),
    });
  } catch (err) {
    // A replay that ran and failed again is a delivery too: say why, then show it.
    const failedId = err instanceof ApiError ? err.body?.deliveryId : null;
    if (failedId) {
      say(`The replay failed again: ${err.message}`, 'error');
      onChange?.();
      await openDelivery(namespace, failedId, { onChange });
    } else fill(result, h('p', { class: 'error', role: 'alert' }, err.message));
    return;
  }
  const newId = answer?.deliveryId ?? answer?.id;
  say(
    answer?.duplicate
      ? 'Replayed: the event had already started its run (duplicate).'
      : answer?.ignored
        ? 'Replayed: the webhook filters it out now (ignored).'
        : 'Replayed as a new delivery.',
  );
  onChange?.();
  if (newId) await openDelivery(namespace, newId, { onChange });
  else fill(result, h('pre', { class: 'payload' }, pretty(answer)));
}

const FINISHED = new Set(['completed', 'cancelled', 'failed']);

async function startBulkReplay(namespace, name, filters, panel) {
  fill(panel, h('p', { class: 'muted' }, 'Starting the replay…'));
  let job;
  try {
    job = await api('POST', `webhooks/${seg(name)}/replay`, { query: inNamespace(namespace, filters) });
  } catch (err) {
    fill(panel, h('p', { class: 'error', role: 'alert' }, `Replay not started: ${err.message}`));
    return;
  }
  await followReplay(namespace, name, job, panel);
}

/** A bulk replay's progress, polled each second until it is finished or the page is left. */
async function followReplay(namespace, name, job, panel) {
  const path = `webhooks/${seg(name)}/replays/${seg(job.id)}`;
  const progress = h('progress', { max: 1, value: 0, 'aria-label': 'Replay progress' });
  const line = h('p', { class: 'progress-line', 'aria-live': 'polite' });
  const cancel = actionButton(
    'Cancel',
    async () => {
      try {
        show(await api('POST', `${path}/cancel`, { query: inNamespace(namespace) }));
      } catch (err) {
        sayError(err, 'Cancelling the replay');
      }
    },
    { class: 'quiet', ...operateAttrs() },
  );
  const after = h('div', { class: 'buttons' });
  fill(panel, h('h2', {}, 'Replay of the search'), progress, line, h('div', { class: 'buttons' }, cancel), after);
  function show(state) {
    if (state.total > 0) {
      progress.max = state.total;
      progress.value = state.done;
    } else if (FINISHED.has(state.state)) {
      progress.max = 1;
      progress.value = 1;
    } else progress.removeAttribute('value');
    panel.dataset.state = state.state;
    fill(
      line,
      badge(state.state),
      ` ${state.done ?? 0} of ${state.total ?? '?'} replayed · ${state.succeeded ?? 0} succeeded · ${state.failed ?? 0} failed`,
      state.ratePerSecond ? h('span', { class: 'muted' }, ` · ${state.ratePerSecond}/s`) : null,
    );
    const finished = FINISHED.has(state.state);
    cancel.hidden = finished;
    if (finished)
      fill(
        after,
        h(
          'button',
          { type: 'button', onclick: () => window.dispatchEvent(new HashChangeEvent('hashchange')) },
          'Show the log with the replays',
        ),
      );
    return finished;
  }
  if (show(job)) return;
  while (document.contains(panel)) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if (!document.contains(panel)) return;
    try {
      if (show(await api('GET', path, { query: inNamespace(namespace) }))) return;
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 503) {
        fill(line, h('span', { class: 'error' }, err.message));
        return;
      }
    }
  }
}

/** A bulk replay still running (started here before, or elsewhere): its progress again. */
async function resumeReplay(namespace, name, panel) {
  let jobs;
  try {
    ({ items: jobs } = await api('GET', `webhooks/${seg(name)}/replays`, { query: inNamespace(namespace) }));
  } catch {
    return; // no bulk replay on this ingress, or not for this token: nothing to show
  }
  const running = jobs.find((job) => !FINISHED.has(job.state));
  if (running && document.contains(panel) && panel.childElementCount === 0)
    await followReplay(namespace, name, running, panel);
}

export async function renderWaits(main, namespace, name) {
  const path = `webhooks/${seg(name)}/waits`;
  const body = h('tbody', {});
  const more = h('div', { class: 'more' });
  const addPage = (page) => {
    for (const w of page.items)
      body.append(
        h(
          'tr',
          {},
          h('td', { class: 'mono wrap' }, runLink(w.workflowId, w.runId, w.workflowId) ?? w.workflowId),
          h('td', {}, w.workflowType ?? '—'),
          h('td', {}, h('pre', { class: 'inline' }, pretty(w.match ?? {})), w.if ? h('code', {}, `if ${w.if}`) : null),
          h('td', {}, badge(w.state)),
          h('td', {}, when(w.createdAt)),
          h('td', {}, when(w.timeoutAt)),
        ),
      );
    fill(
      more,
      page.nextCursor
        ? actionButton('Load more', async () =>
            addPage(await api('GET', path, { query: inNamespace(namespace, { cursor: page.nextCursor }) })),
          )
        : null,
    );
  };
  addPage(await api('GET', path, { query: inNamespace(namespace) }));
  fill(
    main,
    webhookHeader(namespace, name, 'waits'),
    body.children.length === 0
      ? h('p', { class: 'muted empty' }, 'No run is waiting on this webhook (waitForWebhook).')
      : h(
          'table',
          {},
          h('caption', { class: 'visually-hidden' }, `Runs waiting on ${name}`),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Workflow', 'Type', 'Match', 'State', 'Waiting since', 'Times out'].map((t) =>
                h('th', { scope: 'col' }, t),
              ),
            ),
          ),
          body,
        ),
    more,
  );
}
