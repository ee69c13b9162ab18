/**
 * signalWithStartEntity on the shared dev server: the deterministic request id makes the server
 * drop repeats, so 50 concurrent copies of one (webhook, event, route) reach the entity once —
 * shown with `dedup: false` on the workflow side, so only the server's dedup is at work.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { routeRequestId, signalWithStartEntity } from '../../src/ingress/entity-signaler';
import type { EntityRecorderInput } from '../support/entity-workflows';
import { entityEventSignal, entityRecord } from '../support/entities';
import { getTestTemporal, startExampleTestWorker, uniqueTaskQueue, type TestTemporal } from '../support/temporal';
import { randomUUID } from 'node:crypto';

describe('signalWithStartEntity', () => {
  let temporal: TestTemporal;
  let worker: { stop(): Promise<void> };
  const taskQueue = uniqueTaskQueue('entity-signaler');

  before(async () => {
    temporal = await getTestTemporal();
    worker = await startExampleTestWorker(taskQueue);
  });
  after(() => worker.stop());

  function send(workflowId: string, eventId: string, route: string) {
    return signalWithStartEntity(
      temporal.client,
      {
        workflowType: 'entityRecorder',
        taskQueue,
        workflowId,
        input: { dedup: false } satisfies EntityRecorderInput,
        signalName: 'tempohook.webhook',
        signalInput: entityEventSignal(eventId, route),
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
    let record = await entityRecord(handle, (r) => r.handled.length >= 3);
    // A late duplicate would land within this pause.
    await new Promise((r) => setTimeout(r, 500));
    record = await entityRecord(handle, () => true);
    assert.deepEqual(
      record.handled.map((h) => `${h.route}:${h.eventId}`),
      ['customers:evt_1', 'customers:evt_2', 'audit:evt_1'],
    );
    const memo = (await handle.describe()).memo;
    assert.deepEqual(memo?.tempohook, { route: 'customers' });
    await handle.terminate();
  });
});
