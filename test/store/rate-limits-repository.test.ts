import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestStore, describeEachBackend, type TestStore } from '../support/db';

// Windows are aligned on the epoch by the database clock; a week-long window makes a boundary
// inside a test practically impossible, a 1 s window shows the roll-over.
const WEEK = 7 * 86400;

describeEachBackend('rate-limits repository', (backend) => {
  let store: TestStore;

  before(async () => {
    store = await createTestStore({ databaseUrl: backend.databaseUrl });
  });
  after(async () => {
    await store?.dropSchema();
  });

  const newWebhook = async () =>
    (await store.webhooks.apply('default', `hook-${Math.random().toString(36).slice(2)}`, { profile: 'generic' }))
      .webhook.id;
  const hits = async (webhookId: string) =>
    (
      await store.db.query<{ period_seconds: number; hits: number }>(
        'SELECT period_seconds, hits FROM rate_limit_windows WHERE webhook_id = $1 ORDER BY period_seconds',
        [webhookId],
      )
    ).rows;

  test('allows the quota, then refuses with the time left in the window', async () => {
    const webhookId = await newWebhook();
    const windows = [{ periodSeconds: WEEK, quota: 3 }];
    for (let i = 0; i < 3; i++) assert.deepEqual(await store.rateLimits.hit(webhookId, windows), { allowed: true });
    const refused = await store.rateLimits.hit(webhookId, windows);
    assert.equal(refused.allowed, false);
    if (refused.allowed) return;
    assert.deepEqual(refused.window, windows[0]);
    assert.ok(
      refused.retryAfterSeconds >= 1 && refused.retryAfterSeconds <= WEEK,
      `retryAfter ${refused.retryAfterSeconds}`,
    );
    assert.deepEqual(await hits(webhookId), [{ period_seconds: WEEK, hits: 3 }], 'a refused delivery is not counted');
  });

  test('with several windows the tightest decides, and a refusal spends none of the others', async () => {
    const webhookId = await newWebhook();
    const windows = [
      { periodSeconds: WEEK, quota: 2 },
      { periodSeconds: 2 * WEEK, quota: 100 },
    ];
    assert.equal((await store.rateLimits.hit(webhookId, windows)).allowed, true);
    assert.equal((await store.rateLimits.hit(webhookId, windows)).allowed, true);
    for (let i = 0; i < 5; i++) {
      const refused = await store.rateLimits.hit(webhookId, windows);
      assert.equal(refused.allowed, false);
      if (!refused.allowed) assert.equal(refused.window.periodSeconds, WEEK);
    }
    assert.deepEqual(await hits(webhookId), [
      { period_seconds: WEEK, hits: 2 },
      { period_seconds: 2 * WEEK, hits: 2 },
    ]);
  });

  test('each webhook has its own counters', async () => {
    const [a, b] = [await newWebhook(), await newWebhook()];
    const windows = [{ periodSeconds: WEEK, quota: 1 }];
    assert.equal((await store.rateLimits.hit(a, windows)).allowed, true);
    assert.equal((await store.rateLimits.hit(a, windows)).allowed, false);
    assert.equal((await store.rateLimits.hit(b, windows)).allowed, true);
  });

  test('50 concurrent hits against a quota of 10: exactly 10 allowed', async () => {
    const webhookId = await newWebhook();
    const windows = [{ periodSeconds: WEEK, quota: 10 }];
    const verdicts = await Promise.all(Array.from({ length: 50 }, () => store.rateLimits.hit(webhookId, windows)));
    assert.equal(verdicts.filter((v) => v.allowed).length, 10);
    assert.deepEqual(await hits(webhookId), [{ period_seconds: WEEK, hits: 10 }]);
  });

  test('a new window starts from zero, and ended windows are purged', async () => {
    const webhookId = await newWebhook();
    const windows = [{ periodSeconds: 1, quota: 1 }];
    // Start right after a second boundary so both hits land in the same 1 s window.
    await sleep(1000 - (Date.now() % 1000) + 20);
    assert.equal((await store.rateLimits.hit(webhookId, windows)).allowed, true);
    const refused = await store.rateLimits.hit(webhookId, windows);
    assert.equal(refused.allowed, false);
    if (!refused.allowed) assert.equal(refused.retryAfterSeconds, 1);
    await sleep(1100);
    assert.equal((await store.rateLimits.hit(webhookId, windows)).allowed, true);
    await sleep(1100);
    assert.ok((await store.rateLimits.purgeExpired()) >= 2);
    assert.deepEqual(await hits(webhookId), []);
  });

  test('deleting the webhook deletes its counters', async () => {
    const name = `hook-${Math.random().toString(36).slice(2)}`;
    const { webhook } = await store.webhooks.apply('default', name, { profile: 'generic' });
    await store.rateLimits.hit(webhook.id, [{ periodSeconds: WEEK, quota: 5 }]);
    await store.webhooks.delete('default', name);
    assert.deepEqual(await hits(webhook.id), []);
  });
});
