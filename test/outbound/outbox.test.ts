/**
 * The outbox path end to end: subscription changes reach every worker within a second (two
 * workers, each with its own store and change feed), and the closes workflow code never sees
 * (terminate, execution timeout) are delivered with the same envelope and id rules.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { silentLogger } from '../../src/logger';
import { createStore, type Store } from '../../src/store';
import { eventually, testPlugin, startNotificationFixture, type NotificationFixture } from '../support/notifications';
import { startReceiver, type ReceivedRequest, type TestReceiver } from '../support/receiver';
import { uniqueTaskQueue } from '../support/temporal';

describe('notifications through the outbox', () => {
  let fx: NotificationFixture;
  let receiver: TestReceiver;
  before(async () => {
    fx = await startNotificationFixture({ closeObserverIntervalMs: 1000 });
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
    await fx.close();
  });
  const forRun = (runId: string) => (r: ReceivedRequest) => r.body?.workflow?.runId === runId;

  test('a subscription applied or deleted takes effect within 1 s on two other workers (their own stores and caches)', async () => {
    const stores: Store[] = [];
    const workers: Array<{ worker: Worker; run: Promise<void>; taskQueue: string }> = [];
    try {
      for (let i = 0; i < 2; i++) {
        // A store of its own per worker: its change feed stands in for a process of its own.
        const store = await createStore({
          databaseUrl: fx.store.databaseUrl,
          schema: fx.store.schema,
          logger: silentLogger,
        });
        stores.push(store);
        const taskQueue = uniqueTaskQueue(`two-workers-${i}`);
        const worker = await Worker.create({
          connection: fx.temporal.nativeConnection,
          namespace: fx.temporal.namespace,
          taskQueue,
          workflowBundle: fx.temporal.workflowBundle,
          plugins: [testPlugin(store)],
        });
        workers.push({ worker, run: worker.run(), taskQueue });
      }
      const runOn = async (taskQueue: string, name: string) => {
        const handle = await fx.temporal.client.workflow.start('threeSteps', {
          taskQueue,
          workflowId: `${name}-${Date.now()}`,
          args: [{ name }],
        });
        await handle.result();
        return handle.firstExecutionRunId;
      };
      // Both caches are warm and empty: nothing subscribed yet.
      const before = await Promise.all(workers.map((w, i) => runOn(w.taskQueue, `before-${i}`)));

      await fx.subscribe('two-workers', { url: receiver.url, events: ['workflow.completed'] });
      await new Promise((r) => setTimeout(r, 1000));
      const during = await Promise.all(workers.map((w, i) => runOn(w.taskQueue, `during-${i}`)));
      await receiver.waitFor((rs) => during.every((runId) => rs.some(forRun(runId))), 10_000);

      assert.ok((await fx.ingress.api('DELETE', '/v1/subscriptions/two-workers')).status < 300);
      await new Promise((r) => setTimeout(r, 1000));
      const afterDelete = await Promise.all(workers.map((w, i) => runOn(w.taskQueue, `after-${i}`)));
      await new Promise((r) => setTimeout(r, 1500));
      for (const runId of [...before, ...afterDelete])
        assert.ok(!receiver.requests.some(forRun(runId)), 'no event while not subscribed');
    } finally {
      for (const { worker, run } of workers) {
        worker.shutdown();
        await run.catch(() => undefined);
      }
      for (const store of stores) await store.close();
    }
  });

  test('a terminated run and a run that hit its execution timeout are delivered as workflow.terminated and workflow.timed_out within 60 s', async () => {
    const closes = await startReceiver();
    try {
      await fx.subscribe('closes', { url: closes.url, events: ['workflow.terminated', 'workflow.timed_out'] });
      await new Promise((r) => setTimeout(r, 1000));
      const terminated = await fx.temporal.client.workflow.start('waitsForCancel', {
        taskQueue: fx.taskQueue,
        workflowId: `terminated-${Date.now()}`,
      });
      const timedOut = await fx.temporal.client.workflow.start('waitsForCancel', {
        taskQueue: fx.taskQueue,
        workflowId: `timed-out-${Date.now()}`,
        workflowExecutionTimeout: '2 seconds',
      });
      await terminated.terminate('operator stopped it');
      const closedAt = Date.now();
      await closes.waitFor((rs) => rs.length >= 2, 60_000);
      assert.ok(Date.now() - closedAt < 60_000);
      const byType = new Map(closes.requests.map((r) => [r.body.type, r.body]));
      const t = byType.get('workflow.terminated');
      const o = byType.get('workflow.timed_out');
      assert.equal(t.id, `evt_${terminated.firstExecutionRunId}_terminated`);
      assert.equal(t.workflow.id, terminated.workflowId);
      assert.equal(t.workflow.type, 'waitsForCancel');
      assert.equal(o.id, `evt_${timedOut.firstExecutionRunId}_timed_out`);
      assert.equal(closes.requests[0]!.headers['webhook-id'], closes.requests[0]!.body.id);
      // Seen again by later looks of the observer: stored once, so delivered once.
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal(closes.requests.length, 2);
      const deliveries = await eventually(async () => {
        const items = (await fx.ingress.api('GET', '/v1/subscriptions/closes/deliveries')).body.items as any[];
        return items.length === 2 && items.every((d) => d.status === 'succeeded') ? items : undefined;
      }, 'two delivered closes in the log');
      assert.deepEqual(deliveries.map((d) => d.eventType).sort(), ['workflow.terminated', 'workflow.timed_out']);
    } finally {
      await closes.close();
    }
  });

  test('a run that hit its run timeout is delivered as workflow.timed_out', async () => {
    const closes = await startReceiver();
    try {
      await fx.subscribe('run-timeouts', { url: closes.url, events: ['workflow.timed_out'] });
      await new Promise((r) => setTimeout(r, 1000));
      const handle = await fx.temporal.client.workflow.start('waitsForCancel', {
        taskQueue: fx.taskQueue,
        workflowId: `run-timeout-${Date.now()}`,
        workflowRunTimeout: '2 seconds',
      });
      await closes.waitFor((rs) => rs.some(forRun(handle.firstExecutionRunId)), 60_000);
      const event = closes.requests.find(forRun(handle.firstExecutionRunId))!.body;
      assert.equal(event.type, 'workflow.timed_out');
      assert.equal(event.id, `evt_${handle.firstExecutionRunId}_timed_out`);
    } finally {
      await closes.close();
    }
  });

  test("a reset run's events carry ids of their own, never one of the old run's", async () => {
    const events = await startReceiver();
    try {
      await fx.subscribe('resets', { url: events.url, events: ['*'] });
      await new Promise((r) => setTimeout(r, 1000));
      const handle = await fx.temporal.client.workflow.start('threeSteps', {
        taskQueue: fx.taskQueue,
        workflowId: `reset-${Date.now()}`,
        args: [{ name: 'reset' }],
      });
      await handle.result();
      const oldRun = handle.firstExecutionRunId;
      // started, three steps, completed
      await events.waitFor((rs) => rs.filter(forRun(oldRun)).length >= 5, 20_000);

      // Reset to the end of the first workflow task: the steps and the completion run again.
      const { events: history } = await handle.fetchHistory();
      const firstTaskCompleted = history!.find((e) => e.workflowTaskCompletedEventAttributes)!;
      const { runId: newRun } = await fx.temporal.client.workflowService.resetWorkflowExecution({
        namespace: fx.temporal.client.options.namespace,
        workflowExecution: { workflowId: handle.workflowId, runId: oldRun },
        workflowTaskFinishEventId: firstTaskCompleted.eventId,
        reason: 'test: reset',
        requestId: `reset-${oldRun}`,
      });
      await fx.temporal.client.workflow.getHandle(handle.workflowId, newRun).result();
      await events.waitFor((rs) => rs.some((r) => forRun(newRun)(r) && r.body.type === 'workflow.completed'), 20_000);

      const oldIds = new Set(events.requests.filter(forRun(oldRun)).map((r) => r.body.id as string));
      const newEvents = events.requests.filter(forRun(newRun)).map((r) => r.body);
      assert.ok(newEvents.filter((e) => e.type === 'step.completed').length >= 3, 'the steps ran again in the new run');
      for (const event of newEvents) {
        assert.ok(!oldIds.has(event.id), `${event.id} was the id of an event of the old run`);
        assert.ok(event.id.startsWith(`evt_${newRun}_`), `${event.id} is not of the new run`);
      }
    } finally {
      await events.close();
    }
  });
});
