import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../src/logger';
import { createDeliveriesRepository, createPool, type DeliveryRecord } from '../../src/store';
import { createTestStore, describeEachBackend, type TestStore } from '../support/db';

const T0 = new Date('2026-01-01T00:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

describeEachBackend('deliveries repository', (backend) => {
  let store: TestStore;
  let webhookId: string;

  before(async () => {
    store = await createTestStore({ databaseUrl: backend.databaseUrl });
  });
  after(async () => {
    await store?.dropSchema();
  });

  async function newWebhook(): Promise<string> {
    const { webhook } = await store.webhooks.apply('default', `hook-${Math.random().toString(36).slice(2)}`, {
      profile: 'generic',
    });
    return webhook.id;
  }

  async function dedupKeys(id: string): Promise<Array<{ event_id: string; delivery_id: string }>> {
    return (
      await store.db.query('SELECT event_id, delivery_id FROM dedup_keys WHERE webhook_id = $1 ORDER BY event_id', [id])
    ).rows;
  }

  before(async () => {
    webhookId = await newWebhook();
  });

  test('reserve records a pending delivery and holds the key', async () => {
    const result = await store.deliveries.reserve({
      webhookId,
      eventId: 'evt-1',
      sourceEvent: 'push',
      receivedAt: T0,
      windowSeconds: 60,
    });
    assert.equal(result.reserved, true);
    assert.equal(result.delivery.outcome, 'pending');
    assert.equal(result.delivery.httpStatus, null);
    assert.equal(result.delivery.eventId, 'evt-1');
    assert.equal(result.delivery.sourceEvent, 'push');
    assert.equal(result.delivery.receivedAt.getTime(), T0.getTime());
    assert.deepEqual(await store.deliveries.get(result.delivery.id), result.delivery);
    assert.deepEqual(await dedupKeys(webhookId), [{ event_id: 'evt-1', delivery_id: result.delivery.id }]);
  });

  test('reserve of a held key records a duplicate that points at the original', async () => {
    const first = await store.deliveries.reserve({
      webhookId,
      eventId: 'evt-dup',
      sourceEvent: null,
      receivedAt: T0,
      windowSeconds: 60,
    });
    await store.deliveries.complete(first.delivery.id, {
      outcome: 'started',
      httpStatus: 202,
      workflowId: 'wf-1',
      runId: 'run-1',
    });
    const second = await store.deliveries.reserve({
      webhookId,
      eventId: 'evt-dup',
      sourceEvent: null,
      receivedAt: at(30),
      windowSeconds: 60,
    });
    assert.equal(second.reserved, false);
    assert.ok(!second.reserved);
    assert.equal(second.delivery.outcome, 'duplicate');
    assert.equal(second.delivery.httpStatus, 202);
    assert.equal(second.delivery.duplicateOf, first.delivery.id);
    assert.equal(second.original.id, first.delivery.id);
    assert.equal(second.original.workflowId, 'wf-1');
    assert.equal(second.original.runId, 'run-1');
  });

  test('50 concurrent identical reserves: exactly one wins, 49 duplicates point at it', async (t) => {
    const id = await newWebhook();
    // A pool of its own, wider than the store's: on PGlite the wire server takes turns.
    const pool = createPool(backend.databaseUrl, { max: 10, schema: store.schema, logger: silentLogger });
    try {
      const deliveries = createDeliveriesRepository(pool);
      await Promise.all(Array.from({ length: 10 }, () => pool.query('SELECT 1'))); // open the connections before timing
      const started = performance.now();
      const results = await Promise.all(
        Array.from({ length: 50 }, () =>
          deliveries.reserve({
            webhookId: id,
            eventId: 'race',
            sourceEvent: null,
            receivedAt: T0,
            windowSeconds: 3600,
          }),
        ),
      );
      const elapsed = performance.now() - started;
      t.diagnostic(`50-way race on ${backend.name}: ${elapsed.toFixed(1)} ms`);
      const winners = results.filter((r) => r.reserved);
      assert.equal(winners.length, 1);
      const winner = winners[0]!.delivery;
      const losers = results.filter((r) => !r.reserved);
      assert.equal(losers.length, 49);
      for (const loser of losers) {
        assert.ok(!loser.reserved);
        assert.equal(loser.delivery.duplicateOf, winner.id);
        assert.equal(loser.original.id, winner.id);
        assert.equal(loser.delivery.outcome, 'duplicate');
      }
      assert.equal(new Set(results.map((r) => r.delivery.id)).size, 50);
      assert.deepEqual(await dedupKeys(id), [{ event_id: 'race', delivery_id: winner.id }]);
      const counts = await pool.query<{ outcome: string; n: number }>(
        'SELECT outcome, count(*)::int AS n FROM deliveries WHERE webhook_id = $1 GROUP BY outcome ORDER BY outcome',
        [id],
      );
      assert.deepEqual(counts.rows, [
        { outcome: 'duplicate', n: 49 },
        { outcome: 'pending', n: 1 },
      ]);
    } finally {
      await pool.end();
    }
  });

  test('a key whose window has passed can be reserved again', async () => {
    const first = await store.deliveries.reserve({
      webhookId,
      eventId: 'evt-window',
      sourceEvent: null,
      receivedAt: T0,
      windowSeconds: 60,
    });
    const inside = await store.deliveries.reserve({
      webhookId,
      eventId: 'evt-window',
      sourceEvent: null,
      receivedAt: at(59),
      windowSeconds: 60,
    });
    assert.equal(inside.reserved, false);
    const after = await store.deliveries.reserve({
      webhookId,
      eventId: 'evt-window',
      sourceEvent: null,
      receivedAt: at(60),
      windowSeconds: 60,
    });
    assert.equal(after.reserved, true);
    assert.notEqual(after.delivery.id, first.delivery.id);
    const keys = await dedupKeys(webhookId);
    assert.equal(keys.find((k) => k.event_id === 'evt-window')?.delivery_id, after.delivery.id);
    assert.equal((await store.deliveries.get(first.delivery.id))?.outcome, 'pending', 'history stays');
  });

  test('release frees the key so a retry is reserved', async () => {
    const first = await store.deliveries.reserve({
      webhookId,
      eventId: 'evt-release',
      sourceEvent: null,
      receivedAt: T0,
      windowSeconds: 3600,
    });
    await store.deliveries.release(first.delivery.id);
    await store.deliveries.complete(first.delivery.id, {
      outcome: 'failed',
      httpStatus: 503,
      reason: 'Temporal unavailable',
    });
    const retry = await store.deliveries.reserve({
      webhookId,
      eventId: 'evt-release',
      sourceEvent: null,
      receivedAt: at(5),
      windowSeconds: 3600,
    });
    assert.equal(retry.reserved, true);
    const failed = await store.deliveries.get(first.delivery.id);
    assert.equal(failed?.outcome, 'failed');
    assert.equal(failed?.httpStatus, 503);
    assert.equal(failed?.reason, 'Temporal unavailable');
  });

  test('release does not free a key now held by a newer delivery', async () => {
    const old = await store.deliveries.reserve({
      webhookId,
      eventId: 'evt-newer',
      sourceEvent: null,
      receivedAt: T0,
      windowSeconds: 10,
    });
    const newer = await store.deliveries.reserve({
      webhookId,
      eventId: 'evt-newer',
      sourceEvent: null,
      receivedAt: at(11),
      windowSeconds: 3600,
    });
    assert.equal(newer.reserved, true);
    await store.deliveries.release(old.delivery.id);
    const third = await store.deliveries.reserve({
      webhookId,
      eventId: 'evt-newer',
      sourceEvent: null,
      receivedAt: at(12),
      windowSeconds: 3600,
    });
    assert.equal(third.reserved, false);
    assert.equal(third.delivery.duplicateOf, newer.delivery.id);
  });

  test('complete records what routes did with the outcome; the next reserve of the event returns it', async () => {
    const reserve = (seconds: number) =>
      store.deliveries.reserve({
        webhookId,
        eventId: 'evt-routes',
        sourceEvent: null,
        receivedAt: at(seconds),
        windowSeconds: 60,
      });
    const routes = (seconds: number, actions: Array<[string, 'started' | 'signaled' | 'failed' | 'unavailable']>) => ({
      webhookId,
      eventId: 'evt-routes',
      now: at(seconds),
      expiresAt: at(seconds + 60),
      actions: actions.map(([route, status]) => ({
        route,
        action: 'start' as const,
        status,
        workflowId: `wf-${route}`,
        runId: status === 'started' ? `run-${route}` : null,
        ...(status === 'failed' ? { reason: 'rejected' } : {}),
      })),
    });
    const first = await reserve(0);
    assert.deepEqual(first.earlierRoutes, []);
    await store.deliveries.complete(
      first.delivery.id,
      { outcome: 'failed', httpStatus: 503, reason: 'Temporal unavailable' },
      {
        release: true,
        routes: routes(0, [
          ['a', 'started'],
          ['b', 'unavailable'],
          ['c', 'failed'],
        ]),
      },
    );
    assert.deepEqual(
      (await store.deliveries.get(first.delivery.id))!.actions!.map((a) => `${a.route}=${a.status}`),
      ['a=started', 'b=unavailable', 'c=failed'],
    );
    const retry = await reserve(1);
    assert.equal(retry.reserved, true, 'the key was released in the same statement');
    const earlier = (retry.earlierRoutes ?? []).map((r) => `${r.route}=${r.status}:${r.runId}`).sort();
    assert.deepEqual(earlier, ['a=skipped:run-a', 'c=failed:null'], 'b was not recorded: the retry redoes it');
    // A route done stays done; a failed one can become done.
    await store.deliveries.complete(
      retry.delivery.id,
      { outcome: 'started', httpStatus: 202 },
      {
        routes: routes(1, [
          ['a', 'failed'],
          ['b', 'started'],
          ['c', 'started'],
        ]),
      },
    );
    await store.db.query('DELETE FROM dedup_keys WHERE webhook_id = $1', [webhookId]);
    const third = await reserve(2);
    assert.deepEqual((third.earlierRoutes ?? []).map((r) => `${r.route}=${r.status}`).sort(), [
      'a=skipped',
      'b=skipped',
      'c=skipped',
    ]);
    // Once the window has passed, nothing is remembered.
    await store.db.query('DELETE FROM dedup_keys WHERE webhook_id = $1', [webhookId]);
    assert.deepEqual((await reserve(120)).earlierRoutes, []);
  });

  test('complete leaves fields it is not given unchanged', async () => {
    const { delivery } = await store.deliveries.reserve({
      webhookId,
      eventId: 'evt-complete',
      sourceEvent: null,
      receivedAt: T0,
      windowSeconds: 60,
    });
    await store.deliveries.complete(delivery.id, {
      outcome: 'started',
      httpStatus: 202,
      workflowId: 'wf',
      runId: 'run',
    });
    await store.deliveries.complete(delivery.id, {
      outcome: 'duplicate',
      httpStatus: 202,
      reason: 'a run with this workflow id already exists',
    });
    const done = await store.deliveries.get(delivery.id);
    assert.equal(done?.outcome, 'duplicate');
    assert.equal(done?.workflowId, 'wf');
    assert.equal(done?.runId, 'run');
    assert.equal(done?.reason, 'a run with this workflow id already exists');
    await store.deliveries.complete(delivery.id, { outcome: 'started', httpStatus: 202, runId: null });
    assert.equal((await store.deliveries.get(delivery.id))?.runId, null);
  });

  test('recordUnreserved stores a rejection without taking a key', async () => {
    const record = await store.deliveries.recordUnreserved({
      webhookId,
      eventId: 'evt-rejected',
      sourceEvent: 'push',
      receivedAt: T0,
      outcome: 'rejected',
      httpStatus: 401,
      reason: 'signature mismatch',
    });
    assert.equal(record.outcome, 'rejected');
    assert.equal(record.httpStatus, 401);
    assert.equal(record.reason, 'signature mismatch');
    assert.equal(
      (await dedupKeys(webhookId)).some((k) => k.event_id === 'evt-rejected'),
      false,
    );
    assert.deepEqual(await store.deliveries.get(record.id), record);
  });

  test('recordUnreservedMany stores many rows in one statement; webhooks get their newest refusal and count', async () => {
    const [a, b, gone] = [await newWebhook(), await newWebhook(), await newWebhook()];
    await store.db.query('DELETE FROM webhooks WHERE id = $1', [gone]);
    const row = (webhookId: string, seconds: number, outcome: 'rejected' | 'ignored', reason: string) => ({
      webhookId,
      eventId: null,
      sourceEvent: null,
      receivedAt: at(seconds),
      outcome,
      httpStatus: outcome === 'rejected' ? 401 : 202,
      reason,
    });
    await store.deliveries.recordUnreservedMany([
      row(a, 1, 'rejected', 'first'),
      row(a, 3, 'rejected', 'newest'),
      row(a, 2, 'ignored', 'filtered'),
      row(b, 1, 'ignored', 'filtered'),
      row(gone, 1, 'rejected', 'skipped'),
      row('not-a-uuid', 1, 'rejected', 'skipped'),
    ]);
    const page = await store.deliveries.list(a, { limit: 10 });
    assert.deepEqual(
      page.items.map((d) => d.reason),
      ['newest', 'filtered', 'first'],
    );
    assert.equal((await store.deliveries.list(b, { limit: 10 })).items.length, 1);
    const [webhookA, webhookB] = await Promise.all(
      [a, b].map(async (id) => (await store.db.query('SELECT * FROM webhooks WHERE id = $1', [id])).rows[0]),
    );
    assert.equal(webhookA.last_error, '401 newest');
    assert.equal(Number(webhookA.deliveries_rejected), 2);
    assert.equal(webhookB.last_error, null);
    assert.equal(Number(webhookB.deliveries_rejected), 0);
    await store.deliveries.recordUnreservedMany([]);
  });

  test('get of an unknown or malformed id is null', async () => {
    assert.equal(await store.deliveries.get('00000000-0000-4000-8000-000000000000'), null);
    assert.equal(await store.deliveries.get('not-a-uuid'), null);
  });

  test('list pages newest first across ties in receivedAt', async () => {
    const id = await newWebhook();
    const times = [at(1), at(5), at(5), at(5), at(5), at(5), at(9)];
    for (const [i, receivedAt] of times.entries()) {
      await store.deliveries.recordUnreserved({
        webhookId: id,
        eventId: `e${i}`,
        sourceEvent: null,
        receivedAt,
        outcome: 'ignored',
        httpStatus: 202,
        reason: null,
      });
    }
    const seen: DeliveryRecord[] = [];
    const pageSizes: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.deliveries.list(id, { limit: 3, cursor });
      pageSizes.push(page.items.length);
      seen.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    assert.deepEqual(pageSizes, [3, 3, 1]);
    assert.equal(new Set(seen.map((d) => d.id)).size, 7);
    const expected = [...seen].sort(
      (a, b) => b.receivedAt.getTime() - a.receivedAt.getTime() || (a.id < b.id ? 1 : -1),
    );
    assert.deepEqual(
      seen.map((d) => d.id),
      expected.map((d) => d.id),
    );
    assert.equal(seen[0]!.receivedAt.getTime(), at(9).getTime());
    assert.equal(seen[6]!.receivedAt.getTime(), at(1).getTime());
  });

  test('list with an exact page has no next cursor; a bad cursor is a 400', async () => {
    const id = await newWebhook();
    for (let i = 0; i < 2; i++) {
      await store.deliveries.recordUnreserved({
        webhookId: id,
        eventId: `e${i}`,
        sourceEvent: null,
        receivedAt: at(i),
        outcome: 'ignored',
        httpStatus: 202,
        reason: null,
      });
    }
    const page = await store.deliveries.list(id, { limit: 2 });
    assert.equal(page.items.length, 2);
    assert.equal(page.nextCursor, null);
    await assert.rejects(store.deliveries.list(id, { limit: 2, cursor: 'bm9wZQ' }), {
      code: 'invalid_cursor',
      status: 400,
    });
    await assert.rejects(store.deliveries.list(id, { limit: 0 }), { code: 'invalid_argument' });
  });

  test('purgeExpired deletes expired keys and keeps the history', async () => {
    const id = await newWebhook();
    const expired = await store.deliveries.reserve({
      webhookId: id,
      eventId: 'old',
      sourceEvent: null,
      receivedAt: T0,
      windowSeconds: 10,
    });
    await store.deliveries.reserve({
      webhookId: id,
      eventId: 'fresh',
      sourceEvent: null,
      receivedAt: T0,
      windowSeconds: 3600,
    });
    assert.equal(await store.deliveries.purgeExpired(at(10)), 1);
    assert.deepEqual(
      (await dedupKeys(id)).map((k) => k.event_id),
      ['fresh'],
    );
    assert.equal((await store.deliveries.get(expired.delivery.id))?.id, expired.delivery.id);
    assert.equal(await store.deliveries.purgeExpired(at(10)), 0);
  });
});
