/**
 * A delivery log that settles, on the dev server and PostgreSQL: deliveries left `pending` by an
 * ingress that died between the reservation and the record (simulated by reserving without
 * recording, with and without the run started) are settled by the periodic job from Temporal;
 * a repeat is then answered from the reservation, or processed anew when no run exists.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Client } from '@temporalio/client';
import { silentLogger } from '../../src/logger';
import { settlePendingDeliveries } from '../../src/ingress/settle-deliveries';
import { createTestStore, type TestStore } from '../support/db';
import {
  applyGenericWebhook,
  genericDeliveryHeaders,
  startTestIngress,
  webhookBody,
  type TestIngress,
} from '../support/ingress';
import { getTestTemporal, uniqueTaskQueue } from '../support/temporal';

const SECRET = 'settle-secret';

describe('settling pending deliveries', () => {
  let store: TestStore;
  let ingress: TestIngress;
  let client: Client;
  let webhookId: string;
  let path: string;
  const starts: string[] = [];
  const taskQueue = uniqueTaskQueue('settle');

  before(async () => {
    store = await createTestStore();
    const temporal = await getTestTemporal();
    client = new Client({
      connection: temporal.client.connection,
      interceptors: {
        workflow: [
          {
            start: async (input: { options: { workflowId: string } }, next: (input: unknown) => Promise<unknown>) => {
              starts.push(input.options.workflowId);
              return next(input);
            },
          } as never,
        ],
      },
    });
    ingress = await startTestIngress(store, client);
    path = await applyGenericWebhook(ingress, 'settle', { secretName: 'settle', secret: SECRET, taskQueue });
    webhookId = (await store.webhooks.get('default', 'settle'))!.id;
  });

  after(async () => {
    await ingress?.close();
    await store?.dropSchema();
  });

  const deliver = (eventId: string) => {
    const body = JSON.stringify({ eventId });
    return ingress.deliver(path, body, genericDeliveryHeaders(body, eventId, { secret: SECRET }));
  };
  /** What an ingress killed between reserve and record leaves: a pending row holding the key. */
  const abandon = async (eventId: string, receivedAt = new Date(Date.now() - 30_000)) => {
    const reservation = await store.deliveries.reserve({
      webhookId,
      eventId,
      sourceEvent: null,
      receivedAt,
      windowSeconds: 86_400,
    });
    assert.equal(reservation.reserved, true);
    return reservation.delivery.id;
  };
  const row = async (id: string) =>
    (
      await store.db.query<{ outcome: string; workflow_id: string | null; run_id: string | null; keys: number }>(
        `SELECT outcome, workflow_id, run_id, (SELECT count(*)::int FROM dedup_keys k WHERE k.delivery_id = d.id) AS keys
         FROM deliveries d WHERE id = $1`,
        [id],
      )
    ).rows[0]!;
  const settle = (extra: Partial<Parameters<typeof settlePendingDeliveries>[0]> = {}) =>
    settlePendingDeliveries({ store, client, logger: silentLogger, temporalTimeoutMs: 3000, ...extra });

  test('a row whose run exists settles started; one whose run never started is released; repeats follow', async () => {
    const control = `evt-${randomUUID()}`;
    const answered = await deliver(control);
    assert.equal(answered.status, 202, JSON.stringify(answered.body));
    assert.equal(answered.body.workflowId, `default/settle/${control}`);

    const startedEvent = `evt-${randomUUID()}`;
    const lostEvent = `evt-${randomUUID()}`;
    const startedId = await abandon(startedEvent);
    const lostId = await abandon(lostEvent);
    // Killed after Temporal accepted the start: the run exists, the row says nothing of it.
    const handle = await client.workflow.start('weeklyReport', {
      taskQueue,
      workflowId: `default/settle/${startedEvent}`,
      args: [],
    });
    starts.splice(0);

    // Received 30 s ago: too young for the default threshold (a minute), so left alone.
    assert.deepEqual(await settle(), { started: 0, released: 0, unsettled: 0 });
    assert.equal((await row(startedId)).outcome, 'pending');

    const settled = await settle({ olderThanMs: 1000 });
    assert.deepEqual(settled, { started: 1, released: 1, unsettled: 0 });
    assert.deepEqual(await row(startedId), {
      outcome: 'started',
      workflow_id: `default/settle/${startedEvent}`,
      run_id: handle.firstExecutionRunId,
      keys: 1,
    });
    assert.deepEqual(await row(lostId), { outcome: 'failed', workflow_id: null, run_id: null, keys: 0 });
    assert.deepEqual(await settle({ olderThanMs: 0 }), { started: 0, released: 0, unsettled: 0 });

    // The repeat of the settled event is answered from the reservation: no start is attempted.
    const repeat = await deliver(startedEvent);
    assert.equal(repeat.status, 202, JSON.stringify(repeat.body));
    assert.equal(repeat.body.duplicate, true);
    assert.equal(repeat.body.runId, handle.firstExecutionRunId);
    assert.equal(repeat.body.originalDeliveryId, startedId);
    assert.deepEqual(starts, []);

    // The provider's retry of the lost event is processed anew and starts its run.
    const retry = await deliver(lostEvent);
    assert.equal(retry.status, 202, JSON.stringify(retry.body));
    assert.equal(retry.body.duplicate, false);
    assert.deepEqual(starts, [`default/settle/${lostEvent}`]);
    const run = await client.workflow.getHandle(`default/settle/${lostEvent}`).describe();
    assert.equal(run.runId, retry.body.runId);
  });

  test('a workflow id template reading the payload settles from the kept request; with none kept, it is released', async () => {
    const applied = await ingress.api(
      'PUT',
      '/v1/webhooks/settle-by-order',
      webhookBody({
        profile: 'generic',
        secretRef: { name: 'settle', key: 'value' },
        start: { workflowType: 'weeklyReport', taskQueue, workflowId: 'order-{payload.order.id}' },
      }),
    );
    assert.equal(applied.status, 201, JSON.stringify(applied.body));
    const byOrder = (await store.webhooks.get('default', 'settle-by-order'))!.id;
    const order = randomUUID();
    const body = Buffer.from(JSON.stringify({ order: { id: order } }));
    const abandonWith = async (keep: boolean) =>
      (
        await store.deliveries.reserve({
          webhookId: byOrder,
          eventId: `evt-${randomUUID()}`,
          sourceEvent: null,
          receivedAt: new Date(Date.now() - 30_000),
          windowSeconds: 86_400,
          ...(keep ? { payload: { body, headers: { 'x-event-id': 'e' }, contentType: 'application/json' } } : {}),
        })
      ).delivery.id;
    const kept = await abandonWith(true);
    const notKept = await abandonWith(false);
    const handle = await client.workflow.start('weeklyReport', { taskQueue, workflowId: `order-${order}`, args: [] });

    assert.deepEqual(await settle({ olderThanMs: 1000 }), { started: 1, released: 1, unsettled: 0 });
    assert.deepEqual(await row(kept), {
      outcome: 'started',
      workflow_id: `order-${order}`,
      run_id: handle.firstExecutionRunId,
      keys: 1,
    });
    assert.equal((await row(notKept)).outcome, 'failed');
  });

  test('two replicas settling at once take different rows, and each row settles once', async () => {
    const ids = await Promise.all(Array.from({ length: 30 }, () => abandon(`evt-${randomUUID()}`)));
    const [a, b] = await Promise.all([settle({ olderThanMs: 1000 }), settle({ olderThanMs: 1000 })]);
    assert.equal(a.released + b.released, 30, JSON.stringify({ a, b }));
    assert.equal(a.started + b.started + a.unsettled + b.unsettled, 0);
    for (const id of ids) assert.equal((await row(id)).outcome, 'failed');
  });

  test('a row whose describe finds Temporal unreachable stays pending and is looked at again later', async () => {
    const id = await abandon(`evt-${randomUUID()}`);
    const unreachable = new Client({
      connection: client.connection,
      interceptors: {
        workflow: [
          {
            describe: () => Promise.reject(new Error('unavailable')),
          },
        ],
      },
    });
    const first = await settlePendingDeliveries({
      store,
      client: unreachable,
      logger: silentLogger,
      temporalTimeoutMs: 1000,
      olderThanMs: 1000,
    });
    assert.deepEqual(first, { started: 0, released: 0, unsettled: 1 });
    assert.equal((await row(id)).outcome, 'pending');
    // Claimed a moment ago: another pass within the look-again time leaves it alone.
    assert.deepEqual(await settle({ olderThanMs: 1000 }), { started: 0, released: 0, unsettled: 0 });
    assert.deepEqual(await settle({ olderThanMs: 1000, lookAgainAfterMs: 0 }), {
      started: 0,
      released: 1,
      unsettled: 0,
    });
  });
});
