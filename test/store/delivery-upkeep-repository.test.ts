/**
 * The delivery log's upkeep statements on both backends (PostgreSQL, and the embedded PGlite
 * that `tempohook dev` runs the periodic job on): pending rows claimed once per look-again time
 * and settled only while pending; purges delete in batches and keep rows holding a dedup key,
 * and a search filters within one webhook.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestStore, describeEachBackend, type TestStore } from '../support/db';

const T0 = new Date('2026-01-01T00:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

describeEachBackend('delivery upkeep repository', (backend) => {
  let store: TestStore;
  let webhookId: string;

  before(async () => {
    store = await createTestStore({ databaseUrl: backend.databaseUrl });
    webhookId = (await store.webhooks.apply('default', 'upkeep', { profile: 'generic' })).webhook.id;
  });
  after(async () => {
    await store?.dropSchema();
  });

  const reserve = async (eventId: string, receivedAt: Date) =>
    (await store.deliveries.reserve({ webhookId, eventId, sourceEvent: null, receivedAt, windowSeconds: 60 })).delivery
      .id;

  test('claimPending takes old pending rows once per look-again time; settlePending only while pending', async () => {
    const old = await reserve('old', at(0));
    const young = await reserve('young', at(100));
    const claim = (now: Date) =>
      store.deliveryUpkeep.claimPending({ receivedBefore: at(50), now, lookAgainAfterMs: 60_000, limit: 10 });

    const first = await claim(at(120));
    assert.deepEqual(
      first.map((c) => [c.id, c.eventId, c.webhook.name]),
      [[old, 'old', 'upkeep']],
    );
    assert.deepEqual(await claim(at(150)), []);
    assert.equal((await claim(at(200))).length, 1);

    await store.deliveries.complete(young, { outcome: 'started', httpStatus: 202, workflowId: 'w', runId: 'r' });
    assert.equal(await store.deliveryUpkeep.settlePending(young, { outcome: 'released', reason: 'x' }), false);
    assert.equal((await store.deliveries.get(young))!.outcome, 'started');

    assert.equal(await store.deliveryUpkeep.settlePending(old, { outcome: 'released', reason: 'abandoned' }), true);
    assert.equal((await store.deliveries.get(old))!.outcome, 'failed');
    const keys = await store.db.query('SELECT 1 FROM dedup_keys WHERE delivery_id = $1', [old]);
    assert.equal(keys.rows.length, 0);
  });

  test('purgeDeliveries deletes in batches and keeps rows holding a key; search filters', async () => {
    for (let i = 0; i < 7; i++)
      await store.deliveries.recordUnreserved({
        webhookId,
        eventId: `gone-${i}`,
        sourceEvent: null,
        receivedAt: at(10 + i),
        outcome: i % 2 ? 'rejected' : 'ignored',
        httpStatus: i % 2 ? 401 : 202,
        reason: null,
      });
    const rejected = await store.deliveries.list(webhookId, { limit: 50 }, { outcomes: ['rejected'], until: at(17) });
    assert.deepEqual(
      rejected.items.map((d) => d.eventId),
      ['gone-5', 'gone-3', 'gone-1'],
    );
    const holder = await reserve('held', at(5));
    const deleted = await store.deliveryUpkeep.purgeDeliveries({ webhookId, before: at(1000), batchSize: 3 });
    const left = await store.db.query<{ id: string }>('SELECT id FROM deliveries WHERE webhook_id = $1', [webhookId]);
    assert.ok(deleted >= 7);
    assert.ok(left.rows.some((row) => row.id === holder));
  });
});
