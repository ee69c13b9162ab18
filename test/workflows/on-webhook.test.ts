/**
 * onWebhook end to end on the shared dev server: an entity workflow started and fed with
 * signal-with-start (as a `signalWithStart` route does) sees each event id once, also after it
 * continues as new carrying its recent ids; `dedup: false` hands repeats through.
 */
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { webhookEventSignal, type WebhookEventSignalInput } from '../../src/workflows/definitions';
import { getTestTemporal, startExampleTestWorker, uniqueTaskQueue, type TestTemporal } from '../support/temporal';
import type { EntityRecorderInput } from '../support/entity-workflows';
import { entityEventSignal as eventSignal, entityRecord } from '../support/entities';
import type * as testWorkflows from '../support/workflows';

type Workflows = typeof testWorkflows;

describe('onWebhook', () => {
  let temporal: TestTemporal;
  let worker: { stop(): Promise<void> };
  const taskQueue = uniqueTaskQueue('entities');

  before(async () => {
    temporal = await getTestTemporal();
    worker = await startExampleTestWorker(taskQueue);
  });
  after(() => worker.stop());

  async function send(workflowId: string, signal: WebhookEventSignalInput, input: EntityRecorderInput = {}) {
    return temporal.client.workflow.signalWithStart<Workflows['entityRecorder'], [WebhookEventSignalInput]>(
      'entityRecorder',
      { workflowId, taskQueue, args: [input], signal: webhookEventSignal, signalArgs: [signal] },
    );
  }

  test('the first signal starts the entity; a repeated event id is dropped, others are handled in order', async () => {
    const id = `entity-${randomUUID()}`;
    await send(id, eventSignal('evt_1', 'customers', { n: 1 }));
    await send(id, eventSignal('evt_1', 'customers', { n: 1 }));
    await send(id, eventSignal('evt_2', 'customers', { n: 2 }));
    const handle = temporal.client.workflow.getHandle(id);
    const record = await entityRecord(handle, (r) => r.handled.length + r.dropped >= 3);
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
    await send(id, eventSignal('evt_a'), { continueAfter: 2 });
    await send(id, eventSignal('evt_b'));
    // Without a run id the handle follows the chain: queries reach the current run.
    const handle = temporal.client.workflow.getHandle(id);
    const next = await entityRecord(handle, (r) => r.generation === 1);
    assert.equal(next.generation, 1, 'the entity continued as new');
    await send(id, eventSignal('evt_a'));
    await send(id, eventSignal('evt_b'));
    await send(id, eventSignal('evt_c'));
    const record = await entityRecord(handle, (r) => r.handled.length + r.dropped >= 3);
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
    await send(id, eventSignal('evt_x'), { dedup: false });
    await send(id, eventSignal('evt_x'));
    const handle = temporal.client.workflow.getHandle(id);
    const record = await entityRecord(handle, (r) => r.handled.length >= 2);
    assert.deepEqual(
      record.handled.map((h) => h.eventId),
      ['evt_x', 'evt_x'],
    );
    assert.equal(record.dropped, 0);
    await handle.terminate();
  });
});
