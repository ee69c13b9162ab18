/** The waits repository on PostgreSQL and PGlite: claims are exclusive, `since` look-ups see the payload log. */
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { compileMatch } from '../../src/waits/match';
import type { RegisterWaitRecord } from '../../src/store/types';
import type { WebhookDelivery } from '../../src/workflows/definitions';
import { createTestStore, describeEachBackend, type TestStore } from '../support/db';

describeEachBackend('waits repository', (backend) => {
  let store: TestStore;
  let webhookId: string;
  before(async () => {
    store = await createTestStore({ databaseUrl: backend.databaseUrl });
    webhookId = (
      await store.webhooks.apply('default', 'hook', {
        profile: 'github',
        secretRef: { name: 's', key: 'k' },
        signal: { enabled: true },
      })
    ).webhook.id;
  });
  after(async () => {
    await store?.dropSchema();
  });

  const now = () => new Date();
  function wait(match: Record<string, unknown>, extra: Partial<RegisterWaitRecord> = {}): RegisterWaitRecord {
    return {
      id: randomUUID(),
      webhookId,
      temporalNamespace: 'default',
      workflowId: `wf-${randomUUID()}`,
      runId: randomUUID(),
      workflowType: 'waitOnce',
      match,
      compiled: compileMatch(match),
      condition: null,
      vars: null,
      since: null,
      timeoutAt: null,
      now: now(),
      accepts: () => true,
      ...extra,
    };
  }
  /** A delivery of event `eventId` (default: a new event) with its payload logged. */
  async function logDelivery(payload: unknown, eventId: string = randomUUID()): Promise<WebhookDelivery> {
    const reserved = await store.deliveries.reserve({
      webhookId,
      eventId,
      sourceEvent: 'push',
      receivedAt: now(),
      windowSeconds: 60,
    });
    const delivery = {
      deliveryId: reserved.delivery.id,
      eventId: reserved.delivery.eventId!,
      receivedAt: reserved.delivery.receivedAt.toISOString(),
      source: 'push',
      payload,
      headers: { 'x-github-event': 'push' },
    };
    await store.waits.recordPayload({ webhookId, delivery, expiresAt: new Date(Date.now() + 60_000) });
    return delivery;
  }
  const claim = (delivery: WebhookDelivery, matchKeys: string[]) =>
    store.waits.claim({
      webhookId,
      temporalNamespace: 'default',
      matchKeys,
      deliveryId: delivery.deliveryId,
      eventId: delivery.eventId,
      now: now(),
      accepts: () => true,
    });

  test('two deliveries racing for one wait: exactly one claims it; reopen hands it back', async () => {
    const w = wait({ '$.repo': `r-${randomUUID()}` });
    await store.waits.register(w);
    const [a, b] = [await logDelivery({}), await logDelivery({})];
    const claims = await Promise.all([claim(a, [w.compiled.matchKey]), claim(b, [w.compiled.matchKey])]);
    assert.equal(claims.flat().length, 1);
    const winner = claims[0].length === 1 ? a : b;
    await store.waits.reopen(winner.deliveryId, [w.id]);
    assert.equal((await claim(a, [w.compiled.matchKey])).length, 1);
    await store.waits.markSignaled(a, [w.id]);
    assert.equal((await claim(b, [w.compiled.matchKey])).length, 0, 'a signaled wait is never claimed again');
  });

  test('another attempt of the claiming event takes the claim over at once; another event never does', async () => {
    const w = wait({ '$.repo': `r-${randomUUID()}` });
    await store.waits.register(w);
    const crashed = await logDelivery({});
    assert.equal((await claim(crashed, [w.compiled.matchKey])).length, 1);
    assert.equal(
      (await claim(await logDelivery({}), [w.compiled.matchKey])).length,
      0,
      'a live claim is not stolen by another event',
    );
    const retry = await logDelivery({}, crashed.eventId);
    assert.deepEqual(await claim(retry, [w.compiled.matchKey]), [
      { id: w.id, workflowId: w.workflowId, runId: w.runId },
    ]);
    // Either attempt's signal resolves the wait; a late reopen by the other changes nothing.
    await store.waits.markSignaled(crashed, [w.id]);
    await store.waits.reopen(retry.deliveryId, [w.id]);
    const row = (await store.db.query('SELECT state, delivery_id FROM waits WHERE id = $1', [w.id])).rows[0];
    assert.deepEqual(row, { state: 'signaled', delivery_id: retry.deliveryId });
    assert.equal(
      (await claim(await logDelivery({}, crashed.eventId), [w.compiled.matchKey])).length,
      0,
      'a signaled wait is never claimed again',
    );
  });

  test('takeExpiredClaims hands each claim older than the timeout to one sweeper, with its logged delivery', async () => {
    const [kept, orphaned, fresh] = [
      wait({ '$.k': randomUUID() }),
      wait({ '$.k': randomUUID() }),
      wait({ '$.k': randomUUID() }),
    ];
    const deliveries = [];
    for (const w of [kept, orphaned, fresh]) {
      await store.waits.register(w);
      const delivery = await logDelivery({ for: w.id });
      assert.equal((await claim(delivery, [w.compiled.matchKey])).length, 1);
      deliveries.push(delivery);
    }
    await store.db.query(`UPDATE waits SET claimed_at = claimed_at - interval '2 minutes' WHERE id = ANY($1::uuid[])`, [
      [kept.id, orphaned.id],
    ]);
    await store.db.query('DELETE FROM delivery_payloads WHERE delivery_id = $1', [deliveries[1]!.deliveryId]);
    const taken = await store.waits.takeExpiredClaims('default', now(), 1000);
    const mine = taken
      .filter((c) => [kept.id, orphaned.id, fresh.id].includes(c.id))
      .sort((x, y) => (x.id === kept.id ? -1 : y.id === kept.id ? 1 : 0));
    assert.deepEqual(
      mine.map((c) => [c.id, c.deliveryId, c.delivery?.payload ?? null]),
      [
        [kept.id, deliveries[0]!.deliveryId, { for: kept.id }],
        [orphaned.id, deliveries[1]!.deliveryId, null],
      ],
    );
    assert.deepEqual(mine[0]!.delivery, deliveries[0]);
    const again = await store.waits.takeExpiredClaims('default', now(), 1000);
    assert.ok(
      !again.some((c) => c.id === kept.id || c.id === orphaned.id),
      'a taken claim is renewed: no other sweeper takes it',
    );
  });

  test('since: a logged matching delivery resolves the registration at once, idempotently', async () => {
    const repo = `r-${randomUUID()}`;
    await logDelivery({ repo: 'other' });
    const logged = await logDelivery({ repo, n: 2 });
    const w = wait({ '$.repo': repo }, { since: new Date(Date.now() - 60_000) });
    assert.equal((await store.waits.register(w)).delivery?.deliveryId, logged.deliveryId);
    assert.equal(
      (await store.waits.register(w)).delivery?.deliveryId,
      logged.deliveryId,
      'a retried registration answers the same',
    );
    const filtered = wait(
      { '$.repo': repo },
      { since: new Date(Date.now() - 60_000), accepts: (d) => (d.payload as any).n > 5 },
    );
    assert.equal((await store.waits.register(filtered)).delivery, null, 'the if is applied to logged deliveries');
    assert.ok((await store.waits.pathSets(webhookId)).length >= 1);
  });

  test('a delivery racing a registration with `since` reaches the wait exactly once: by claim or by look-up', async () => {
    for (let i = 0; i < 25; i++) {
      const repo = `race-${randomUUID()}`;
      const w = wait({ '$.repo': repo }, { since: new Date(Date.now() - 60_000) });
      const reserved = await store.deliveries.reserve({
        webhookId,
        eventId: randomUUID(),
        sourceEvent: 'push',
        receivedAt: now(),
        windowSeconds: 60,
      });
      const delivery = {
        deliveryId: reserved.delivery.id,
        eventId: reserved.delivery.eventId!,
        receivedAt: reserved.delivery.receivedAt.toISOString(),
        source: 'push',
        payload: { repo },
        headers: {},
      };
      const [claimed, registration] = await Promise.all([
        (async () => {
          await store.waits.recordPayload({ webhookId, delivery, expiresAt: new Date(Date.now() + 60_000) });
          return claim(delivery, [w.compiled.matchKey]);
        })(),
        store.waits.register(w),
      ]);
      assert.equal(
        claimed.length + (registration.delivery ? 1 : 0),
        1,
        `iteration ${i}: claimed ${claimed.length}, looked up ${registration.delivery?.deliveryId ?? 'nothing'}`,
      );
    }
  });

  test(
    'a delivery arriving while a `since` registration is between its look-up and its commit is claimed once the registration commits',
    { skip: backend.name === 'pglite' ? 'PGlite serves one connection: transactions cannot interleave' : false },
    async () => {
      const repo = `window-${randomUUID()}`;
      const w = wait({ '$.repo': repo }, { since: new Date(Date.now() - 60_000) });
      // Holds the registration inside its window: its INSERT waits on this uncommitted row with the same id.
      const blocker = await store.db.connect();
      try {
        await blocker.query('BEGIN');
        await blocker.query(
          `INSERT INTO waits (id, webhook_id, temporal_namespace, workflow_id, run_id, workflow_type, match, path_set, match_key, created_at, updated_at)
           VALUES ($1, $2, 'default', 'blocker', 'blocker', 't', '{}', 'x', 'x', now(), now())`,
          [w.id, webhookId],
        );
        const registration = store.waits.register(w);
        await new Promise((resolve) => setTimeout(resolve, 300));
        const delivery = await logDelivery({ repo });
        const claimed = claim(delivery, [w.compiled.matchKey]);
        await new Promise((resolve) => setTimeout(resolve, 300));
        await blocker.query('ROLLBACK');
        assert.equal((await registration).delivery, null, 'the look-up ran before the payload was logged');
        assert.equal((await claimed).length, 1, 'the delivery waited for the registration and claimed the wait');
      } finally {
        blocker.release();
      }
    },
  );

  test('remove deletes only unclaimed waits; listOpen pages; purge drops expired payloads and stale waits', async () => {
    const w = wait({ '$.x': 1 });
    await store.waits.register(w);
    const page = await store.waits.listOpen(webhookId, { limit: 1 });
    assert.equal(page.items.length, 1);
    assert.ok(page.nextCursor);
    assert.ok((await store.waits.listOpen(webhookId, { limit: 500, after: page.nextCursor })).items.length >= 1);
    assert.deepEqual(await store.waits.remove(w.workflowId, w.runId, [w.id]), { removed: 1, claimed: [] });
    const purged = await store.waits.purge(new Date(Date.now() + 365 * 24 * 3600_000));
    assert.ok(purged.payloads >= 1);
  });
});
