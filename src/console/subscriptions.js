// Subscriptions: their state, a signed test event, re-enabling; one subscription's notification
// deliveries with every attempt, and redelivery.
import { api, inNamespace, seg } from './api.js';
import { actionButton, badge, fill, h, pageTitle, route, table, when } from './dom.js';
import { operateAttrs, runUrl, say, sayError } from './state.js';

const SETTINGS_NAMESPACE = 'settings';

export async function renderSubscriptions(main) {
  const { items } = await api('GET', 'subscriptions');
  const refresh = () => renderSubscriptions(main).catch((err) => sayError(err, 'Refreshing subscriptions'));
  const rows = items.map((s) => {
    const { name, namespace } = s.metadata;
    const fromSettings = namespace === SETTINGS_NAMESPACE;
    const path = `subscriptions/${seg(name)}`;
    const actions = [
      fromSettings
        ? null
        : actionButton(
            'Send test',
            async () => {
              try {
                const answer = await api('POST', `${path}/test`, { query: inNamespace(namespace) });
                say(
                  `Test event to ${name}: ${answer.delivered ? 'delivered' : 'not delivered'} (HTTP ${answer.httpStatus}).`,
                  answer.delivered ? 'info' : 'error',
                );
              } catch (err) {
                sayError(err, `Test event to ${name}`);
              }
              await refresh();
            },
            { 'aria-label': `Send a test event to ${name}`, ...operateAttrs() },
          ),
      s.status.state === 'disabled'
        ? actionButton(
            'Enable',
            async () => {
              try {
                await api('POST', `${path}/enable`, { query: inNamespace(namespace) });
                say(`${name} is enabled again.`);
              } catch (err) {
                sayError(err, `Enabling ${name}`);
              }
              await refresh();
            },
            { 'aria-label': `Enable ${name} again`, ...operateAttrs() },
          )
        : null,
    ];
    return h(
      'tr',
      {},
      h(
        'th',
        { scope: 'row' },
        h('a', { href: route('subscriptions', namespace, name) }, name),
        namespace !== 'default' ? h('span', { class: 'ns' }, namespace) : null,
      ),
      h('td', { class: 'mono wrap' }, s.spec?.url ?? (fromSettings ? 'settings file' : '—')),
      h('td', { class: 'wrap' }, Array.isArray(s.spec?.events) ? s.spec.events.join(', ') : '—'),
      h(
        'td',
        {},
        badge(s.status.state),
        s.status.disabledReason ? h('div', { class: 'error small' }, s.status.disabledReason) : null,
      ),
      h('td', {}, when(s.status.lastDeliveryAt)),
      h('td', { class: 'num' }, s.status.lastStatus ?? '—'),
      h('td', { class: 'wrap' }, s.status.lastError ? h('span', { class: 'error' }, s.status.lastError) : '—'),
      h('td', { class: 'num' }, `${s.status.deliveriesSucceeded} / ${s.status.deliveriesFailed}`),
      h('td', {}, h('div', { class: 'actions' }, actions)),
    );
  });
  fill(
    main,
    h('h1', {}, 'Subscriptions'),
    items.length === 0
      ? h('p', { class: 'muted' }, 'No subscriptions: lifecycle notifications go nowhere yet (docs/notifications.md).')
      : table(
          'Subscriptions',
          [
            'Subscription',
            'URL',
            'Events',
            'State',
            'Last delivery',
            'Last HTTP',
            'Last error',
            'Succeeded / failed',
            '',
          ],
          rows,
          { class: 'subscriptions' },
        ),
  );
}

export async function renderSubscriptionDeliveries(main, namespace, name) {
  const path = `subscriptions/${seg(name)}`;
  const body = h('tbody', {});
  const more = h('div', { class: 'more' });
  const fromSettings = namespace === SETTINGS_NAMESPACE;
  const addPage = (page) => {
    for (const d of page.items) body.append(...deliveryRows(d));
    fill(
      more,
      page.nextCursor
        ? actionButton('Load more', async () => {
            try {
              addPage(
                await api('GET', `${path}/deliveries`, { query: inNamespace(namespace, { cursor: page.nextCursor }) }),
              );
            } catch (err) {
              sayError(err, 'Loading more deliveries');
            }
          })
        : null,
    );
  };
  const deliveryRows = (d) => {
    const run = d.workflow ? runUrl(d.workflow.id, d.workflow.runId, d.workflow.namespace) : null;
    const redeliver =
      d.workflow && !fromSettings
        ? actionButton(
            'Redeliver',
            async () => {
              try {
                const answer = await api('POST', `${path}/deliveries/${seg(d.id)}/redeliver`, {
                  query: inNamespace(namespace),
                });
                say(
                  `Redelivery of ${d.eventId} started (delivery ${answer.deliveryId}); it appears here once it is attempted.`,
                );
              } catch (err) {
                sayError(err, `Redelivering ${d.eventId}`);
              }
            },
            { 'aria-label': `Redeliver ${d.eventId}`, ...operateAttrs() },
          )
        : null;
    const attempts = h(
      'details',
      {},
      h('summary', {}, `${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`),
      d.attemptLog.length === 0
        ? h('p', { class: 'muted' }, 'Not attempted yet.')
        : table(
            `Attempts of ${d.eventId}`,
            ['#', 'Started', 'Duration', 'HTTP', 'Error', 'Response'],
            d.attemptLog.map((a) =>
              h(
                'tr',
                {},
                h('td', { class: 'num' }, a.attempt),
                h('td', {}, when(a.startedAt)),
                h('td', { class: 'num' }, a.durationMs === null ? '—' : `${Math.round(a.durationMs)} ms`),
                h('td', { class: 'num' }, a.httpStatus ?? '—'),
                h('td', { class: 'wrap error' }, a.error ?? ''),
                h('td', {}, a.responseBody ? h('pre', { class: 'inline' }, a.responseBody) : ''),
              ),
            ),
            { class: 'attempts' },
          ),
    );
    return [
      h(
        'tr',
        { dataset: { deliveryId: d.id } },
        h('td', {}, when(d.createdAt)),
        h('td', { class: 'mono' }, d.eventType),
        h('td', {}, badge(d.status)),
        h('td', { class: 'num' }, d.lastHttpStatus ?? '—'),
        h('td', { class: 'wrap' }, d.lastError ? h('span', { class: 'error' }, d.lastError) : ''),
        h(
          'td',
          { class: 'mono wrap' },
          d.workflow
            ? run
              ? h('a', { href: run, target: '_blank', rel: 'noopener noreferrer' }, d.workflow.id)
              : d.workflow.id
            : h('span', { class: 'muted' }, 'test event'),
        ),
        h('td', {}, attempts),
        h('td', {}, redeliver),
      ),
    ];
  };
  addPage(await api('GET', `${path}/deliveries`, { query: inNamespace(namespace) }));
  fill(
    main,
    ...pageTitle('Subscriptions', '#/subscriptions', namespace, name),
    body.children.length === 0
      ? h('p', { class: 'muted empty' }, 'Nothing delivered to this subscription yet.')
      : h(
          'table',
          { class: 'notification-deliveries' },
          h('caption', { class: 'visually-hidden' }, `Notification deliveries of ${name}, newest first`),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Created', 'Event', 'Status', 'Last HTTP', 'Last error', 'Workflow', 'Attempts', ''].map((t) =>
                h('th', { scope: 'col' }, t),
              ),
            ),
          ),
          body,
        ),
    more,
  );
}
