/**
 * signalWithStartEntity on the shared dev server: the deterministic request id makes the server
 * drop repeats, so 50 concurrent copies of one (webhook, event, route) reach the entity once —
 * shown with `dedup: false` on the workflow side, so only the server's dedup is at work.
 */
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defineQuery } from '@temporalio/workflow';
import type { Worker } from '@temporalio/worker';
import { createExampleWorker } from '../../src/worker/example-worker';
import { routeRequestId, signalWithStartEntity } from '../../src/ingress/entity-signaler';
import type { WebhookEventSignalInput } from '../../src/workflows/definitions';
import type { EntityRecord, EntityRecorderInput } from '../support/entity-workflows';
import { getTestTemporal, uniqueTaskQueue, type TestTemporal } from '../support/temporal';

const entityRecordQuery = defineQuery<EntityRecord>('test.entityRecord');

describe('signalWithStartEntity', () => {
  let temporal: TestTemporal;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = uniqueTaskQueue('entity-signaler');

  before(async () => {
    temporal = await getTestTemporal();
    worker = await createExampleWorker({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue,
      workflowBundle: temporal.workflowBundle,
    });
    running = worker.run();
  });
  after(async () => {
    worker.shutdown();
    await running;
  });

  function send(workflowId: string, eventId: string, route: string) {
    const signalInput: WebhookEventSignalInput = {
      webhook: 'default/stripe',
      route,
      delivery: {
        deliveryId: randomUUID(),
        eventId,
        receivedAt: new Date().toISOString(),
        source: 'customer.updated',
        payload: {},
        headers: {},
      },
    };
    return signalWithStartEntity(
      temporal.client,
      {
        workflowType: 'entityRecorder',
        taskQueue,
        workflowId,
        input: { dedup: false } satisfies EntityRecorderInput,
        signalName: 'tempohook.webhook',
        signalInput,
        requestId: routeRequestId('default/stripe', eventId, route),
        memo: { tempohook: { route } },
      },
      10_000,
    );
  }

  test('routeRequestId is deterministic and tells routes and events apart', () => {
    assert.equal(routeRequestId('default/a', 'e1', 'r'), routeRequestId('default/a', 'e1', 'r'));
    assert.notEqual(routeRequestId('default/a', 'e1', 'r'), routeRequestId('default/a', 'e1', 's'));
    assert.notEqual(routeRequestId('default/a', 'e1', 'r'), routeRequestId('default/a', 'e2', 'r'));
    assert.notEqual(routeRequestId('default/a', 'b/e', 'r'), routeRequestId('default/a/b', 'e', 'r'));
    assert.match(
      routeRequestId('default/a', 'e1', 'r'),
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
  });

  test('50 concurrent copies of one event on one route start one entity that sees the event once', async () => {
    const workflowId = `entity-race-${randomUUID()}`;
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => send(workflowId, 'evt_1', 'customers')));
    for (const outcome of outcomes) assert.equal(outcome.kind, 'signaled', JSON.stringify(outcome));
    const runIds = new Set(outcomes.map((o) => (o.kind === 'signaled' ? o.runId : '')));
    assert.equal(runIds.size, 1, 'one run');
    // Another event, and the same event on another route, are delivered.
    assert.equal((await send(workflowId, 'evt_2', 'customers')).kind, 'signaled');
    assert.equal((await send(workflowId, 'evt_1', 'audit')).kind, 'signaled');
    const handle = temporal.client.workflow.getHandle(workflowId);
    let record: EntityRecord;
    const deadline = Date.now() + 20_000;
    do {
      record = await handle.query(entityRecordQuery);
      if (record.handled.length >= 3) break;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < deadline);
    await new Promise((r) => setTimeout(r, 500));
    record = await handle.query(entityRecordQuery);
    assert.deepEqual(
      record.handled.map((h) => `${h.route}:${h.eventId}`),
      ['customers:evt_1', 'customers:evt_2', 'audit:evt_1'],
    );
    const memo = (await handle.describe()).memo;
    assert.deepEqual(memo?.tempohook, { route: 'customers' });
    await handle.terminate();
  });
});
