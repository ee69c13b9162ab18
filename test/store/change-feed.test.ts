/**
 * The change feed across processes (two stores on one schema stand in for two processes): a
 * subscription applied, disabled or deleted through one reaches the other's listeners and its
 * subscription cache within a second, on PostgreSQL (LISTEN/NOTIFY) and on the embedded
 * database (polled, so no connection is held: the other store's queries keep flowing).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../src/logger';
import { createSubscriptionCache } from '../../src/outbound/subscription-cache';
import { createStore, type ResourceChange, type Store } from '../../src/store';
import { createTestStore, describeEachBackend, type TestStore } from '../support/db';

async function within<T>(ms: number, what: string, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describeEachBackend('change feed', (backend) => {
  let writer: TestStore;
  let other: Store;
  before(async () => {
    writer = await createTestStore({ databaseUrl: backend.databaseUrl });
    other = await createStore({ databaseUrl: backend.databaseUrl, schema: writer.schema, logger: silentLogger });
  });
  after(async () => {
    await other?.close();
    await writer?.dropSchema();
  });

  test('a change through one store reaches the other store within a second, and its cache follows', async () => {
    const seen: ResourceChange[] = [];
    other.changes.subscribe((c) => seen.push(c));
    const cache = createSubscriptionCache({ store: other });
    try {
      assert.equal((await cache.get()).candidates.length, 0);
      await new Promise((r) => setTimeout(r, 700)); // the listener is up (a poller has its baseline)

      const applied = Date.now();
      await writer.subscriptions.apply('default', 'feed', { url: 'https://example.com/hooks' });
      await within(1000, 'the applied subscription in the cache', async () =>
        (await cache.get()).candidates.some((s) => s.key === 'default/feed') ? true : undefined,
      );
      assert.ok(
        seen.some((c) => c.kind === 'subscription'),
        JSON.stringify(seen),
      );
      assert.ok(Date.now() - applied <= 1000);

      await writer.subscriptions.recordFinalFailure('default/feed', 'HTTP 410', 1, new Date());
      await within(1000, 'the disabled subscription in the cache', async () =>
        (await cache.get()).disabled.has('default/feed') ? true : undefined,
      );

      await writer.subscriptions.delete('default', 'feed');
      await within(1000, 'the deleted subscription gone from the cache', async () =>
        (await cache.get()).candidates.length === 0 ? true : undefined,
      );
      // The feed holds no connection the other store's queries would wait for.
      const started = Date.now();
      for (let i = 0; i < 20; i++) await other.db.query('SELECT 1');
      assert.ok(Date.now() - started < 2000);
    } finally {
      cache.close();
    }
  });
});
