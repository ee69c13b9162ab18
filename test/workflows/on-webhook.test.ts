/**
 * onWebhook end to end on the shared dev server: an entity workflow started and fed with
 * signal-with-start (as a `signalWithStart` route does) sees each event id once, also after it
 * continues as new carrying its recent ids; `dedup: false` hands repeats through.
 */
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { createExampleWorker } from '../../src/worker/example-worker';
import type { WorkflowHandle } from '@temporalio/client';
import { defineQuery } from '@temporalio/workflow';
import { webhookEventSignal, type WebhookEventSignalInput } from '../../src/workflows/definitions';
import { getTestTemporal, uniqueTaskQueue, type TestTemporal } from '../support/temporal';
import type { EntityRecord, EntityRecorderInput } from '../support/entity-workflows';
import type * as testWorkflows from '../support/workflows';

type Workflows = typeof testWorkflows;
/** The recorder's query, by name (the workflow module is not loaded outside the sandbox). */
const entityRecordQuery = defineQuery<EntityRecord>('test.entityRecord');

function eventSignal(eventId: string, route = 'entity', n = 0): WebhookEventSignalInput {
  return {
    webhook: 'default/stripe',
    route,
    delivery: {
      deliveryId: randomUUID(),
      eventId,
      receivedAt: new Date().toISOString(),
      source: 'customer.updated',
      payload: { n },
      headers: {},
    },
  };
}

describe('onWebhook', () => {
  let temporal: TestTemporal;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = uniqueTaskQueue('entities');

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

  async function send(workflowId: string, signal: WebhookEventSignalInput, input: EntityRecorderInput = {}) {
    return temporal.client.workflow.signalWithStart<Workflows['entityRecorder'], [WebhookEventSignalInput]>(
      'entityRecorder',
      { workflowId, taskQueue, args: [input], signal: webhookEventSignal, signalArgs: [signal] },
    );
  }

  /** Queries until `done` holds (signals are handled asynchronously). */
  async function recordOf(handle: WorkflowHandle, done: (r: EntityRecord) => boolean): Promise<EntityRecord> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const record = await temporal.client.workflow.getHandle(handle.workflowId).query(entityRecordQuery);
      if (done(record) || Date.now() > deadline) return record;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  test('the first signal starts the entity; a repeated event id is dropped, others are handled in order', async () => {
    const id = `entity-${randomUUID()}`;
    const handle = await send(id, eventSignal('evt_1', 'customers', 1));
    await send(id, eventSignal('evt_1', 'customers', 1));
    await send(id, eventSignal('evt_2', 'customers', 2));
    const record = await recordOf(handle, (r) => r.handled.length + r.dropped >= 3);
    assert.deepEqual(
      record.handled.map((h) => [h.eventId, h.route, h.payload]),
      [
        ['evt_1', 'customers', { n: 1 }],
        ['evt_2', 'customers', { n: 2 }],
      ],
    );
    assert.equal(record.dropped, 1);
    assert.equal(record.generation, 0);
    await handle.terminate();
  });

  test('after continue-as-new the entity still drops the events the previous run handled', async () => {
    const id = `entity-can-${randomUUID()}`;
    const handle = await send(id, eventSignal('evt_a'), { continueAfter: 2 });
    await send(id, eventSignal('evt_b'));
    const next = await recordOf(handle, (r) => r.generation === 1);
    assert.equal(next.generation, 1, 'the entity continued as new');
    await send(id, eventSignal('evt_a'));
    await send(id, eventSignal('evt_b'));
    await send(id, eventSignal('evt_c'));
    const record = await recordOf(handle, (r) => r.handled.length + r.dropped >= 3);
    assert.equal(record.generation, 1);
    assert.deepEqual(
      record.handled.map((h) => h.eventId),
      ['evt_c'],
    );
    assert.equal(record.dropped, 2);
    await handle.terminate();
  });

  test('dedup: false hands every signal to the handler', async () => {
    const id = `entity-nodedup-${randomUUID()}`;
    const handle = await send(id, eventSignal('evt_x'), { dedup: false });
    await send(id, eventSignal('evt_x'));
    const record = await recordOf(handle, (r) => r.handled.length >= 2);
    assert.deepEqual(
      record.handled.map((h) => h.eventId),
      ['evt_x', 'evt_x'],
    );
    assert.equal(record.dropped, 0);
    await handle.terminate();
  });
});
