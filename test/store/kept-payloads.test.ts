/**
 * Kept payloads in the store, on PostgreSQL and PGlite: kept by the reservation's statement and
 * by the batch of unreserved rows, read back (decrypted), sealed at rest with a key, bound to
 * their delivery, and purged per webhook in batches.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createTestStore, describeEachBackend, type TestStore } from '../support/db';

const KEY = randomBytes(32).toString('base64');

describeEachBackend('kept payloads', (backend) => {
  let store: TestStore;
  let webhookId: string;

  before(async () => {
    store = await createTestStore({ databaseUrl: backend.databaseUrl, encryptionKey: KEY });
    webhookId = (await store.webhooks.apply('default', 'kept', { profile: 'generic' })).webhook.id;
  });
  after(async () => {
    await store?.dropSchema();
  });

  const body = Buffer.from(JSON.stringify({ order: { id: 'o-1', note: 'plain words' } }));
  const payload = {
    body,
    headers: { 'x-event-id': 'e', 'content-type': 'application/json' },
    contentType: 'application/json',
  };

  test('the reservation keeps the payload in its statement, sealed; it reads back as it was', async () => {
    const reserved = await store.deliveries.reserve({
      webhookId,
      eventId: 'kept-1',
      sourceEvent: null,
      receivedAt: new Date(),
      windowSeconds: 60,
      payload,
    });
    const row = (
      await store.db.query<{ body: Buffer; headers: Buffer; key_id: string }>(
        'SELECT body, headers, key_id FROM delivery_bodies WHERE delivery_id = $1',
        [reserved.delivery.id],
      )
    ).rows[0]!;
    assert.ok(row.key_id, 'sealed with the key');
    assert.ok(!row.body.includes('plain words'), 'the body is not stored in clear');
    assert.ok(!row.headers.includes('x-event-id'), 'the headers are not stored in clear');
    const read = await store.deliveries.getPayload(reserved.delivery.id);
    assert.deepEqual(read?.body, body);
    assert.deepEqual(read?.headers, payload.headers);
    assert.equal(read?.contentType, 'application/json');
    assert.equal(read?.encrypted, true);
  });

  test('sealed bytes copied under another delivery do not open', async () => {
    const [a, b] = await Promise.all(
      ['copy-a', 'copy-b'].map((eventId) =>
        store.deliveries.reserve({
          webhookId,
          eventId,
          sourceEvent: null,
          receivedAt: new Date(),
          windowSeconds: 60,
          payload,
        }),
      ),
    );
    await store.db.query(
      `UPDATE delivery_bodies SET body = (SELECT body FROM delivery_bodies WHERE delivery_id = $1) WHERE delivery_id = $2`,
      [a!.delivery.id, b!.delivery.id],
    );
    await assert.rejects(store.deliveries.getPayload(b!.delivery.id), { code: 'secret_key_mismatch' });
  });

  test('a batch of unreserved rows keeps the payloads it carries, and only those', async () => {
    const receivedAt = new Date();
    await store.deliveries.recordUnreservedMany([
      {
        webhookId,
        eventId: 'batch-kept',
        sourceEvent: null,
        receivedAt,
        outcome: 'ignored',
        httpStatus: 202,
        reason: 'filtered',
        payload,
      },
      {
        webhookId,
        eventId: 'batch-none',
        sourceEvent: null,
        receivedAt,
        outcome: 'rejected',
        httpStatus: 401,
        reason: 'bad signature',
      },
    ]);
    const rows = (
      await store.db.query<{ event_id: string; kept: boolean }>(
        `SELECT d.event_id, b.delivery_id IS NOT NULL AS kept FROM deliveries d LEFT JOIN delivery_bodies b ON b.delivery_id = d.id
         WHERE d.event_id LIKE 'batch-%' ORDER BY d.event_id`,
      )
    ).rows;
    assert.deepEqual(rows, [
      { event_id: 'batch-kept', kept: true },
      { event_id: 'batch-none', kept: false },
    ]);
  });

  test('payloads past their retention are purged in batches; the delivery rows stay', async () => {
    const old = new Date(Date.now() - 10 * 86_400_000);
    for (let i = 0; i < 7; i++)
      await store.deliveries.reserve({
        webhookId,
        eventId: `old-${i}`,
        sourceEvent: null,
        receivedAt: old,
        windowSeconds: 0,
        payload,
      });
    const before = (await store.db.query<{ n: number }>('SELECT count(*)::int AS n FROM delivery_bodies')).rows[0]!.n;
    const purged = await store.deliveryUpkeep.purgePayloads({
      webhookId,
      before: new Date(Date.now() - 7 * 86_400_000),
      batchSize: 3,
    });
    assert.equal(purged, 7);
    const after = (await store.db.query<{ n: number }>('SELECT count(*)::int AS n FROM delivery_bodies')).rows[0]!.n;
    assert.equal(after, before - 7);
    const rows = await store.db.query(`SELECT 1 FROM deliveries WHERE event_id LIKE 'old-%'`);
    assert.equal(rows.rowCount, 7);
  });
});
