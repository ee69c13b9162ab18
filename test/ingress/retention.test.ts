/**
 * Retention on PostgreSQL: the delivery log, notification deliveries and their attempts are
 * filled past retention (old rows inserted directly), then the periodic job's purge deletes what
 * is past each resource's retention (or the default) in batches and keeps the rest, with two
 * replicas purging at once.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../src/logger';
import { purgeRetained } from '../../src/ingress/retention';
import { createTestStore, type TestStore } from '../support/db';

const DAY = 86_400_000;

describe('retention', () => {
  let store: TestStore;
  let defaultHook: string;
  let shortHook: string;

  before(async () => {
    store = await createTestStore();
    const spec = {
      profile: 'generic',
      secretRef: { name: 'retention', key: 'value' },
      start: { workflowType: 'weeklyReport', taskQueue: 'retention' },
    };
    defaultHook = (await store.webhooks.apply('default', 'kept-long', spec)).webhook.id;
    shortHook = (await store.webhooks.apply('default', 'kept-short', { ...spec, retention: { deliveries: '2d' } }))
      .webhook.id;
    await store.subscriptions.apply('default', 'short', {
      url: 'https://receiver.example/hook',
      retention: { deliveries: '1d' },
    });
  });

  after(async () => {
    await store?.dropSchema();
  });

  /** `count` delivery rows of a webhook received `ageDays` ago; returns their ids. */
  async function deliveries(webhookId: string, count: number, ageDays: number): Promise<string[]> {
    const result = await store.db.query<{ id: string }>(
      `INSERT INTO deliveries (id, webhook_id, event_id, received_at, http_status, outcome)
       SELECT gen_random_uuid(), $1, 'evt-' || g, now() - make_interval(days => $3) - g * interval '1 ms', 202, 'started'
       FROM generate_series(1, $2) g RETURNING id`,
      [webhookId, count, ageDays],
    );
    return result.rows.map((row) => row.id);
  }

  /** A finished (or pending) notification delivery created `ageDays` ago, with two attempts. */
  async function notification(key: string, ageDays: number, status = 'succeeded'): Promise<string> {
    const id = randomUUID();
    const at = new Date(Date.now() - ageDays * DAY);
    await store.db.query(
      `INSERT INTO notification_deliveries (id, subscription_key, event_id, event_type, envelope, status, attempts, created_at, updated_at)
       VALUES ($1, $2, $3, 'workflow.completed', '{}', $4, 2, $5, $5)`,
      [id, key, `evt-${id}`, status, at],
    );
    await store.db.query(
      `INSERT INTO notification_attempts (delivery_id, attempt, started_at, duration_ms, http_status)
       VALUES ($1, 1, $2, 5, 500), ($1, 2, $2, 5, 200)`,
      [id, at],
    );
    return id;
  }

  const count = async (sql: string, params: unknown[] = []) =>
    (await store.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${sql}) t`, params)).rows[0]!.n;

  test('rows past retention are purged in batches; recent rows, held keys and pending notifications stay', async () => {
    const oldDefault = await deliveries(defaultHook, 2_500, 40);
    const recentDefault = await deliveries(defaultHook, 5, 20);
    const oldShort = await deliveries(shortHook, 10, 3);
    const recentShort = await deliveries(shortHook, 5, 1);
    // An old row whose dedup key is still held (a long window) stays as long as its key.
    const [holder] = await deliveries(defaultHook, 1, 60);
    await store.db.query(
      `INSERT INTO dedup_keys (webhook_id, event_id, delivery_id, expires_at) VALUES ($1, 'held', $2, now() + interval '1 day')`,
      [defaultHook, holder],
    );
    const shortOld = await notification('default/short', 2);
    const shortRecent = await notification('default/short', 0.5);
    const settingsOld = await notification('settings/file-sub', 40, 'failed');
    const settingsRecent = await notification('settings/file-sub', 10);
    const pendingOld = await notification('default/gone', 40, 'pending');

    // Two replicas at once: each row is deleted by one of them.
    const [a, b] = await Promise.all([
      purgeRetained({ store, logger: silentLogger }),
      purgeRetained({ store, logger: silentLogger }),
    ]);
    assert.equal(a.deliveries + b.deliveries, oldDefault.length + oldShort.length);
    assert.equal(a.notificationDeliveries + b.notificationDeliveries, 2);

    const left = await store.db.query<{ id: string }>('SELECT id FROM deliveries');
    assert.deepEqual(new Set(left.rows.map((row) => row.id)), new Set([...recentDefault, ...recentShort, holder!]));
    const notificationsLeft = await store.db.query<{ id: string }>('SELECT id FROM notification_deliveries');
    assert.deepEqual(
      new Set(notificationsLeft.rows.map((row) => row.id)),
      new Set([shortRecent, settingsRecent, pendingOld]),
    );
    assert.equal(
      await count('SELECT 1 FROM notification_attempts WHERE delivery_id = ANY($1::uuid[])', [[shortOld, settingsOld]]),
      0,
    );
    assert.equal(await count('SELECT 1 FROM notification_attempts'), 6);

    // The process defaults apply where no resource sets its own.
    const shorter = await purgeRetained({
      store,
      logger: silentLogger,
      retention: { deliveriesSeconds: 10 * 86_400, notificationsSeconds: 5 * 86_400 },
      batchSize: 2,
    });
    assert.deepEqual(shorter, {
      deliveries: recentDefault.length,
      payloads: 0,
      notificationDeliveries: 1,
      auditEntries: 0,
    });
    assert.equal(await count('SELECT 1 FROM deliveries WHERE webhook_id = $1', [defaultHook]), 1);
  });

  test('the audit log is purged past its retention (90 days by default) in batches', async () => {
    const entries = (count: number, ageDays: number) =>
      store.db.query(
        `INSERT INTO audit_log (id, at, actor, method, route, status)
         SELECT gen_random_uuid(), now() - make_interval(days => $2) - g * interval '1 ms', 'ci', 'PUT', '/v1/webhooks/:name', 200
         FROM generate_series(1, $1) g`,
        [count, ageDays],
      );
    await entries(5, 91);
    await entries(3, 30);
    const byDefault = await purgeRetained({ store, logger: silentLogger, batchSize: 2 });
    assert.equal(byDefault.auditEntries, 5);
    assert.equal(await count('SELECT 1 FROM audit_log'), 3);
    const shorter = await purgeRetained({ store, logger: silentLogger, retention: { auditSeconds: 7 * 86_400 } });
    assert.equal(shorter.auditEntries, 3);
    assert.equal(await count('SELECT 1 FROM audit_log'), 0);
  });
});
