/**
 * Searching the delivery log over the management API, on PostgreSQL: each filter of
 * `GET /v1/webhooks/{name}/deliveries` keeps exactly the matching rows, newest first and
 * keyset-paged; a bad parameter is a 400 naming it; `GET /v1/deliveries/{id}` returns one
 * delivery of the namespace asked for and no other.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTestStore, type TestStore } from '../support/db';
import { startTestIngress, webhookBody, type TestIngress } from '../support/ingress';
import { getTestTemporal } from '../support/temporal';

const MINUTE = 60_000;

interface Row {
  id: string;
  outcome: string;
  status: number | null;
  eventId: string;
  workflowId: string | null;
  minutesAgo: number;
}

describe('searching deliveries', () => {
  let store: TestStore;
  let ingress: TestIngress;
  const rows: Row[] = [];

  before(async () => {
    store = await createTestStore();
    const temporal = await getTestTemporal();
    ingress = await startTestIngress(store, temporal.client);
    const spec = {
      profile: 'generic',
      secretRef: { name: 'search', key: 'value' },
      start: { workflowType: 'weeklyReport', taskQueue: 'search' },
    };
    assert.equal((await ingress.api('PUT', '/v1/webhooks/search', webhookBody(spec))).status, 201);
    assert.equal((await ingress.api('PUT', '/v1/webhooks/other', webhookBody(spec))).status, 201);
    const webhook = (await store.webhooks.get('default', 'search'))!;
    const other = (await store.webhooks.get('default', 'other'))!;
    const outcomes = ['started', 'failed', 'duplicate', 'rejected', 'started', 'failed'];
    for (let i = 0; i < 30; i++) {
      const outcome = outcomes[i % outcomes.length]!;
      rows.push({
        id: randomUUID(),
        outcome,
        status: outcome === 'failed' ? (i % 4 === 1 ? 400 : 503) : outcome === 'rejected' ? 401 : 202,
        eventId: `evt-${i % 10}`,
        workflowId: outcome === 'started' || outcome === 'duplicate' ? `default/search/evt-${i % 10}` : null,
        minutesAgo: i * 10,
      });
    }
    const now = Date.now();
    for (const [webhookId, list] of [
      [webhook.id, rows],
      [other.id, rows.map((row) => ({ ...row, id: randomUUID() }))],
    ] as const) {
      await store.db.query(
        `INSERT INTO deliveries (id, webhook_id, event_id, received_at, http_status, outcome, workflow_id)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[], $5::int[], $6::text[], $7::text[])`,
        [
          list.map((row) => row.id),
          list.map(() => webhookId),
          list.map((row) => row.eventId),
          list.map((row) => new Date(now - row.minutesAgo * MINUTE)),
          list.map((row) => row.status),
          list.map((row) => row.outcome),
          list.map((row) => row.workflowId),
        ],
      );
    }
  });

  after(async () => {
    await ingress?.close();
    await store?.dropSchema();
  });

  /** Every page of a search, followed by its cursors. */
  async function search(query: string, limit = 4): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await ingress.api(
        'GET',
        `/v1/webhooks/search/deliveries?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      assert.equal(page.status, 200, JSON.stringify(page.body));
      assert.ok(page.body.items.length <= limit);
      ids.push(...page.body.items.map((item: { id: string }) => item.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    return ids;
  }
  /** The ids `keep` selects, newest first. */
  const expected = (keep: (row: Row) => boolean) =>
    rows
      .filter(keep)
      .sort((a, b) => a.minutesAgo - b.minutesAgo)
      .map((row) => row.id);

  test('each filter, and filters together, keep exactly the matching deliveries, newest first across pages', async () => {
    assert.deepEqual(
      await search('outcome=failed'),
      expected((r) => r.outcome === 'failed'),
    );
    assert.deepEqual(
      await search('outcome=failed,rejected'),
      expected((r) => r.outcome === 'failed' || r.outcome === 'rejected'),
    );
    assert.deepEqual(
      await search('outcome=failed&outcome=duplicate'),
      expected((r) => ['failed', 'duplicate'].includes(r.outcome)),
    );
    assert.deepEqual(
      await search('status=503'),
      expected((r) => r.status === 503),
    );
    assert.deepEqual(
      await search('eventId=evt-3'),
      expected((r) => r.eventId === 'evt-3'),
    );
    assert.deepEqual(
      await search(`workflowId=${encodeURIComponent('default/search/evt-4')}`),
      expected((r) => r.workflowId === 'default/search/evt-4'),
    );
    assert.deepEqual(
      await search('since=95m'),
      expected((r) => r.minutesAgo < 95),
    );
    const until = new Date(Date.now() - 155 * MINUTE).toISOString();
    assert.deepEqual(
      await search(`outcome=started&since=4h&until=${until}`),
      expected((r) => r.outcome === 'started' && r.minutesAgo > 155 && r.minutesAgo < 240),
    );
    assert.deepEqual(await search('outcome=challenge'), []);
  });

  test('a bad parameter is a 400 naming it', async () => {
    for (const [query, parameter] of [
      ['outcome=exploded', 'outcome'],
      ['status=abc', 'status'],
      ['status=42', 'status'],
      ['since=yesterday', 'since'],
      ['until=2026-13-45', 'until'],
      ['eventid=evt-1', 'eventid'],
    ] as const) {
      const answer = await ingress.api('GET', `/v1/webhooks/search/deliveries?${query}`);
      assert.equal(answer.status, 400, query);
      assert.equal(answer.body.error.code, 'invalid_query', query);
      assert.match(answer.body.error.message, new RegExp(`^\\?${parameter}: `), query);
    }
  });

  test('GET /v1/deliveries/{id} returns one delivery of the namespace asked for', async () => {
    const row = rows[4]!;
    const found = await ingress.api('GET', `/v1/deliveries/${row.id}`);
    assert.equal(found.status, 200, JSON.stringify(found.body));
    assert.equal(found.body.id, row.id);
    assert.equal(found.body.webhook, 'search');
    assert.equal(found.body.outcome, row.outcome);
    assert.equal(found.body.workflowId, row.workflowId);
    assert.equal((await ingress.api('GET', `/v1/deliveries/${row.id}?namespace=team-b`)).status, 404);
    assert.equal((await ingress.api('GET', `/v1/deliveries/${randomUUID()}`)).status, 404);
    assert.equal((await ingress.api('GET', '/v1/deliveries/not-a-uuid')).status, 404);
  });
});
