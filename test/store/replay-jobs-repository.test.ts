/**
 * The replay jobs repository on PostgreSQL and PGlite: a job snapshots what its search matches,
 * one owner holds it at a time (a lapsed lease is taken over), items are claimed once and counted
 * when finished, and a job completes only when no item is open.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestStore, describeEachBackend, type TestStore } from '../support/db';

describeEachBackend('replay jobs repository', (backend) => {
  let store: TestStore;
  let webhookId: string;

  before(async () => {
    store = await createTestStore({ databaseUrl: backend.databaseUrl });
    webhookId = (await store.webhooks.apply('default', 'jobs', { profile: 'generic' })).webhook.id;
    const receivedAt = new Date(Date.now() - 60_000);
    await store.deliveries.recordUnreservedMany(
      Array.from({ length: 5 }, (_, i) => ({
        webhookId,
        eventId: `e-${i}`,
        sourceEvent: null,
        receivedAt,
        outcome: i < 3 ? ('ignored' as const) : ('rejected' as const),
        httpStatus: i < 3 ? 202 : 401,
        reason: null,
      })),
    );
  });
  after(async () => {
    await store?.dropSchema();
  });

  test('create, claim, lease, items once, complete', async () => {
    const now = new Date();
    const job = await store.replayJobs.create({
      webhookId,
      filter: { outcomes: ['ignored'] },
      newEventId: false,
      ratePerSecond: 5,
      now,
      maxItems: 10,
    });
    assert.equal(job.total, 3);
    assert.equal(job.state, 'pending');
    assert.deepEqual(job.filter, { outcome: ['ignored'] });
    await assert.rejects(
      store.replayJobs.create({ webhookId, filter: {}, newEventId: false, ratePerSecond: 5, now, maxItems: 4 }),
      { code: 'too_many_deliveries' },
    );

    const claimed = await store.replayJobs.claim({ owner: 'a', now, leaseMs: 1000 });
    assert.equal(claimed?.id, job.id);
    assert.equal(claimed?.state, 'running');
    assert.equal(await store.replayJobs.claim({ owner: 'b', now, leaseMs: 1000 }), null, 'held by a');

    const [first, second] = await store.replayJobs.claimItems(job.id, 'a', 2);
    assert.ok(first && second);
    assert.equal((await store.replayJobs.claimItems(job.id, 'a', 5)).length, 1, 'claimed items are not claimed again');
    await store.replayJobs.finishItem(job.id, first, 'a', {
      state: 'succeeded',
      replayDeliveryId: null,
      outcome: 'started',
      error: null,
    });
    await store.replayJobs.finishItem(job.id, first, 'a', {
      state: 'succeeded',
      replayDeliveryId: null,
      outcome: 'started',
      error: null,
    });
    assert.equal((await store.replayJobs.get(webhookId, job.id))?.done, 1, 'an item is counted once');
    assert.equal(await store.replayJobs.complete(job.id, 'a', now), false, 'items are open');

    // a's lease lapses: b takes the job over and finds a's unfinished claims.
    const later = new Date(now.getTime() + 5000);
    assert.equal(await store.replayJobs.renew(job.id, 'b', later, 1000), false);
    const taken = await store.replayJobs.claim({ owner: 'b', now: later, leaseMs: 1000 });
    assert.equal(taken?.id, job.id);
    assert.equal(await store.replayJobs.renew(job.id, 'a', later, 1000), false, 'a lost it');
    const stale = await store.replayJobs.staleClaims(job.id, 'b');
    assert.equal(stale.length, 2);
    assert.ok(stale.every((s) => s.replay === null));
    for (const s of stale) await store.replayJobs.resetItem(job.id, s.deliveryId);
    for (const source of await store.replayJobs.claimItems(job.id, 'b', 5))
      await store.replayJobs.finishItem(job.id, source, 'b', {
        state: 'failed',
        replayDeliveryId: null,
        outcome: 'payload_gone',
        error: 'gone',
      });
    assert.equal(await store.replayJobs.complete(job.id, 'b', later), true);
    const done = await store.replayJobs.get(webhookId, job.id);
    assert.deepEqual(
      { state: done?.state, total: done?.total, done: done?.done, succeeded: done?.succeeded, failed: done?.failed },
      { state: 'completed', total: 3, done: 3, succeeded: 1, failed: 2 },
    );
    assert.equal((await store.replayJobs.list(webhookId, 10)).length, 1);
    assert.equal(await store.replayJobs.claim({ owner: 'c', now: later, leaseMs: 1000 }), null);
  });
});
