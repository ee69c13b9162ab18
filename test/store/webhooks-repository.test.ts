import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Db } from '../../src/store';
import { createWebhooksRepository } from '../../src/store/webhooks-repository';
import { createTestStore, describeEachBackend, type TestStore } from '../support/db';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describeEachBackend('webhooks repository', (backend) => {
  let store: TestStore;

  before(async () => {
    store = await createTestStore({ databaseUrl: backend.databaseUrl });
  });
  after(async () => {
    await store?.dropSchema();
  });

  test('apply creates a webhook with a random 43-character endpoint id', async () => {
    const { webhook, created } = await store.webhooks.apply('default', 'github', {
      profile: 'github',
      start: { workflowType: 'onPush' },
    });
    assert.equal(created, true);
    assert.match(webhook.id, UUID);
    assert.match(webhook.endpointId, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(webhook.generation, 1);
    assert.equal(webhook.verified, false);
    assert.equal(webhook.deliveriesAccepted, 0);
    assert.deepEqual(webhook.spec, { profile: 'github', start: { workflowType: 'onPush' } });
    assert.deepEqual(await store.webhooks.get('default', 'github'), webhook);
    assert.deepEqual(await store.webhooks.getByEndpointId(webhook.endpointId), webhook);
  });

  test('re-applying keeps id and endpoint id; generation grows only when the spec changes', async () => {
    const first = await store.webhooks.apply('default', 'stable', { profile: 'generic', a: 1, b: 2 });
    const same = await store.webhooks.apply('default', 'stable', { b: 2, a: 1, profile: 'generic' });
    assert.equal(same.created, false);
    assert.equal(same.webhook.id, first.webhook.id);
    assert.equal(same.webhook.endpointId, first.webhook.endpointId);
    assert.equal(same.webhook.generation, 1);
    assert.equal(same.webhook.updatedAt.getTime(), first.webhook.updatedAt.getTime());
    const changed = await store.webhooks.apply('default', 'stable', { profile: 'generic', a: 1, b: 3 });
    assert.equal(changed.created, false);
    assert.equal(changed.webhook.endpointId, first.webhook.endpointId);
    assert.equal(changed.webhook.generation, 2);
    assert.deepEqual(changed.webhook.spec, { profile: 'generic', a: 1, b: 3 });
  });

  test('a new name or namespace gets a new endpoint id', async () => {
    const a = await store.webhooks.apply('default', 'one', { profile: 'generic' });
    const b = await store.webhooks.apply('default', 'two', { profile: 'generic' });
    const c = await store.webhooks.apply('other', 'one', { profile: 'generic' });
    assert.equal(new Set([a.webhook.endpointId, b.webhook.endpointId, c.webhook.endpointId]).size, 3);
    assert.equal(new Set([a.webhook.id, b.webhook.id, c.webhook.id]).size, 3);
  });

  test('unknown names and endpoint ids are null', async () => {
    assert.equal(await store.webhooks.get('default', 'nope'), null);
    assert.equal(await store.webhooks.getByEndpointId('x'.repeat(43)), null);
  });

  test('list filters by namespace', async () => {
    await store.webhooks.apply('listing', 'b', { profile: 'generic' });
    await store.webhooks.apply('listing', 'a', { profile: 'generic' });
    assert.deepEqual(
      (await store.webhooks.list('listing')).map((w) => w.name),
      ['a', 'b'],
    );
    assert.ok((await store.webhooks.list()).length >= 2);
  });

  test('recordAccepted and recordError update the status counters', async () => {
    const { webhook } = await store.webhooks.apply('default', 'status', { profile: 'generic' });
    const t1 = new Date('2026-01-01T00:00:01Z');
    const t2 = new Date('2026-01-01T00:00:02Z');
    await store.webhooks.recordAccepted(webhook.id, t2);
    await store.webhooks.recordAccepted(webhook.id, t1); // late writer does not move lastDeliveryAt back
    await store.webhooks.recordError(webhook.id, '401 signature mismatch', t1);
    const status = await store.webhooks.get('default', 'status');
    assert.equal(status?.verified, true);
    assert.equal(status?.deliveriesAccepted, 2);
    assert.equal(status?.deliveriesRejected, 1);
    assert.equal(status?.lastDeliveryAt?.getTime(), t2.getTime());
    assert.equal(status?.lastError, '401 signature mismatch');
    assert.equal(status?.lastErrorAt?.getTime(), t1.getTime());
  });

  test('delete removes the webhook with its deliveries and dedup keys', async () => {
    const { webhook } = await store.webhooks.apply('default', 'doomed', { profile: 'generic' });
    const first = await store.deliveries.reserve({
      webhookId: webhook.id,
      eventId: 'e1',
      sourceEvent: null,
      receivedAt: new Date(),
      windowSeconds: 60,
    });
    await store.deliveries.reserve({
      webhookId: webhook.id,
      eventId: 'e1',
      sourceEvent: null,
      receivedAt: new Date(),
      windowSeconds: 60,
    });
    assert.equal(await store.webhooks.delete('default', 'doomed'), true);
    assert.equal(await store.webhooks.delete('default', 'doomed'), false);
    assert.equal(await store.webhooks.getByEndpointId(webhook.endpointId), null);
    assert.equal(await store.deliveries.get(first.delivery.id), null);
    const left = await store.db.query(
      'SELECT (SELECT count(*) FROM deliveries WHERE webhook_id = $1)::int AS deliveries, (SELECT count(*) FROM dedup_keys WHERE webhook_id = $1)::int AS keys',
      [webhook.id],
    );
    assert.deepEqual(left.rows[0], { deliveries: 0, keys: 0 });
  });

  /** `db` that counts the statements it runs. */
  const counting = (db: Db) => {
    const counter = { queries: 0, db: undefined as unknown as Db };
    counter.db = new Proxy(db, {
      get(target, key, receiver) {
        if (key === 'query')
          return (...args: unknown[]) => (
            counter.queries++,
            (target.query as (...a: unknown[]) => unknown).apply(target, args)
          );
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    return counter;
  };

  test('an endpoint id of the wrong shape (NUL, slash, length) is unknown without a query', async () => {
    const counter = counting(store.db);
    const webhooks = createWebhooksRepository(counter.db);
    for (const id of ['abc\u0000def', 'x'.repeat(42), 'x'.repeat(44), '../' + 'x'.repeat(40), 'é'.repeat(43), ''])
      assert.equal(await webhooks.getByEndpointId(id), null);
    assert.equal(counter.queries, 0);
  });

  test('apply and delete are announced on the change feed; status updates are not', async () => {
    const announced: string[] = [];
    const webhooks = createWebhooksRepository(store.db, async (change) => {
      announced.push(`${change.kind} ${change.namespace}/${change.name}`);
    });
    const { webhook } = await webhooks.apply('default', 'announced', { profile: 'generic' });
    await webhooks.recordAccepted(webhook.id, new Date());
    await webhooks.recordError(webhook.id, 'boom', new Date());
    assert.equal(await webhooks.delete('default', 'announced'), true);
    assert.equal(await webhooks.delete('default', 'announced'), false);
    assert.deepEqual(announced, ['webhook default/announced', 'webhook default/announced']);
  });
});
