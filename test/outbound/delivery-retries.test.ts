/**
 * Delivery outlives the run and survives a receiver outage: a receiver down for 30 s gets every
 * event afterwards under the ids it was first tried with; 4xx other than 408/429 is final;
 * `Retry-After` is honored; too many final failures in a row disable a subscription.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { deliverEventWorkflowId } from '../../src/outbound/deliver-event';
import { TempohookPlugin } from '../../src/worker/plugin';
import { eventually, startNotificationFixture, type NotificationFixture } from '../support/notifications';
import { startReceiver, type ReceivedRequest, type TestReceiver } from '../support/receiver';

const FAST_RETRY = { initialInterval: '1s', backoffCoefficient: 1.5, maximumInterval: '3s', maximumAttempts: 100 };

describe('delivery retries', () => {
  let fx: NotificationFixture;
  const receivers: TestReceiver[] = [];
  const receiver = async () => {
    const r = await startReceiver();
    receivers.push(r);
    return r;
  };
  before(async () => {
    fx = await startNotificationFixture();
  });
  after(async () => {
    for (const r of receivers) await r.close();
    await fx.close();
  });

  const forRun = (runId: string) => (r: ReceivedRequest) => r.body?.workflow?.runId === runId;
  const deliveriesOf = async (name: string) =>
    (await fx.ingress.api('GET', `/v1/subscriptions/${name}/deliveries?limit=200`)).body.items as any[];

  test('a receiver down for 30 s then up gets every event, with the ids it was first tried with; the run completed meanwhile', async () => {
    const down = await receiver();
    await fx.subscribe('outage', { url: down.url, retry: FAST_RETRY });
    await down.down();

    const handle = await fx.temporal.client.workflow.start('threeSteps', {
      taskQueue: fx.taskQueue,
      workflowId: `outage-${Date.now()}`,
      args: [{ name: 'outage' }],
    });
    const startedAt = Date.now();
    assert.deepEqual(
      await handle.result(),
      { greeting: 'hello outage', steps: 3 },
      'the run completes while its receiver is down',
    );

    // Every event is being retried under its own id while the receiver is down.
    const tried = await eventually(async () => {
      const items = await deliveriesOf('outage');
      return items.length === 5 && items.every((d) => d.attempts >= 2) ? items : undefined;
    }, 'five deliveries with failed attempts');
    assert.ok(
      tried.every(
        (d) =>
          d.status === 'pending' &&
          d.attemptLog.every((a: any) => a.httpStatus === null && /ECONNREFUSED|connect/i.test(a.error)),
      ),
      JSON.stringify(tried[0]),
    );
    const triedIds = new Set(tried.map((d) => d.eventId));
    const retryHandle = fx.temporal.client.workflow.getHandle(
      deliverEventWorkflowId(tried[0].eventId, 'default/outage'),
    );
    const { status } = await retryHandle.describe();
    assert.equal(status.name, 'RUNNING', 'the delivery outlives the completed run: its retries run in a workflow');
    // The wait before the first retry is the workflow's start delay, not a timer: no task ran meanwhile.
    const history = await retryHandle.fetchHistory();
    const backoff = history.events?.[0]?.workflowExecutionStartedEventAttributes?.firstWorkflowTaskBackoff;
    assert.equal(Number(backoff?.seconds ?? 0), 1, "started with the policy's first interval (1 s) as its start delay");
    assert.ok(!history.events?.some((e) => e.timerStartedEventAttributes), 'no timer in the retry workflow');

    await new Promise((r) => setTimeout(r, Math.max(0, 30_000 - (Date.now() - startedAt))));
    await down.up();
    await down.waitFor(
      (rs) => new Set(rs.filter(forRun(handle.firstExecutionRunId)).map((r) => r.body.id)).size === 5,
      30_000,
    );
    const received = down.requests.filter(forRun(handle.firstExecutionRunId));
    assert.deepEqual(new Set(received.map((r) => r.body.id)), triedIds);
    assert.deepEqual(received.map((r) => r.body.type).sort(), [
      'step.completed',
      'step.completed',
      'step.completed',
      'workflow.completed',
      'workflow.started',
    ]);
    assert.ok(received.every((r) => r.headers['webhook-id'] === r.body.id));
    const done = await eventually(async () => {
      const items = await deliveriesOf('outage');
      return items.every((d) => d.status === 'succeeded') ? items : undefined;
    }, 'all deliveries succeeded');
    assert.ok(done.every((d) => d.attemptLog.at(-1).httpStatus === 200 && d.attemptLog.length === d.attempts));
    // The start-delayed hand-off replays (its history has no timer; see the recorded ones for runs that have one).
    await eventually(
      async () => ((await retryHandle.describe()).status.name === 'COMPLETED' ? true : undefined),
      'the retry workflow completed',
    );
    await Worker.runReplayHistory(
      { workflowBundle: fx.temporal.workflowBundle, plugins: [new TempohookPlugin()] },
      await retryHandle.fetchHistory(),
    );
  });

  test('a 410 is final: one attempt, the delivery failed, counted in the status', async () => {
    const gone = await receiver();
    gone.respond = () => ({ status: 410, body: 'gone for good' });
    await fx.subscribe('gone', { url: gone.url, events: ['workflow.completed'], retry: FAST_RETRY });
    const handle = await fx.temporal.client.workflow.start('threeSteps', {
      taskQueue: fx.taskQueue,
      workflowId: `gone-${Date.now()}`,
      args: [{ name: 'gone' }],
    });
    await handle.result();
    const [failed] = await eventually(async () => {
      const items = await deliveriesOf('gone');
      return items.length === 1 && items[0].status === 'failed' ? items : undefined;
    }, 'a failed delivery');
    assert.equal(failed.attempts, 1);
    assert.equal(failed.attemptLog[0].httpStatus, 410);
    assert.equal(failed.attemptLog[0].responseBody, 'gone for good');
    await new Promise((r) => setTimeout(r, 2500)); // longer than the retry interval
    assert.equal(gone.requests.length, 1, 'not retried');
    const sub = (await fx.ingress.api('GET', '/v1/subscriptions/gone')).body;
    assert.equal(sub.status.consecutiveFailures, 1);
    assert.equal(sub.status.deliveriesFailed, 1);
    assert.equal(sub.status.state, 'active');
  });

  test('503 with Retry-After is retried after the delay the receiver asked for', async () => {
    const busy = await receiver();
    busy.respond = (req) =>
      busy.requests.indexOf(req) === 0
        ? { status: 503, body: 'busy', headers: { 'Retry-After': '3' } }
        : { status: 204 };
    await fx.subscribe('busy', {
      url: busy.url,
      events: ['workflow.completed'],
      retry: { ...FAST_RETRY, initialInterval: '100ms', maximumInterval: '100ms' },
    });
    const handle = await fx.temporal.client.workflow.start('threeSteps', {
      taskQueue: fx.taskQueue,
      workflowId: `busy-${Date.now()}`,
      args: [{ name: 'busy' }],
    });
    await handle.result();
    await busy.waitFor((rs) => rs.length >= 2, 20_000);
    const gap = busy.requests[1]!.at - busy.requests[0]!.at;
    assert.ok(gap >= 2900, `second attempt ${gap} ms after the first; Retry-After asked for 3 s`);
    assert.equal(busy.requests[0]!.body.id, busy.requests[1]!.body.id);
  });

  test('a subscription is disabled after N consecutive final failures, says so, and a re-apply enables it again', async () => {
    const rejecting = await receiver();
    rejecting.respond = () => ({ status: 400, body: 'bad' });
    const spec = { url: rejecting.url, events: ['workflow.*'], retry: FAST_RETRY, disableAfterFailures: 2 };
    await fx.subscribe('flaky', spec);
    for (let i = 0; i < 2; i++) {
      const handle = await fx.temporal.client.workflow.start('threeSteps', {
        taskQueue: fx.taskQueue,
        workflowId: `flaky-${i}-${Date.now()}`,
        args: [{ name: 'flaky' }],
      });
      await handle.result();
    }
    const sub = await eventually(async () => {
      const body = (await fx.ingress.api('GET', '/v1/subscriptions/flaky')).body;
      return body.status.state === 'disabled' ? body : undefined;
    }, 'the subscription disabled');
    assert.match(sub.status.disabledReason, /disabled after 2 consecutive failed deliveries/);
    assert.ok(sub.status.disabledAt);
    assert.equal(sub.status.consecutiveFailures, 2);

    const seen = rejecting.requests.length;
    const later = await fx.temporal.client.workflow.start('threeSteps', {
      taskQueue: fx.taskQueue,
      workflowId: `flaky-later-${Date.now()}`,
      args: [{ name: 'later' }],
    });
    await later.result();
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(
      rejecting.requests.filter(forRun(later.firstExecutionRunId)).length,
      0,
      'a disabled subscription gets nothing',
    );
    assert.ok(rejecting.requests.length <= seen + 2, 'at most the deliveries already in flight');

    rejecting.respond = () => ({ status: 200 });
    const reapplied = await fx.subscribe('flaky', spec);
    assert.equal(reapplied.status.state, 'active');
    const again = await fx.temporal.client.workflow.start('threeSteps', {
      taskQueue: fx.taskQueue,
      workflowId: `flaky-again-${Date.now()}`,
      args: [{ name: 'again' }],
    });
    await again.result();
    await rejecting.waitFor((rs) => rs.filter(forRun(again.firstExecutionRunId)).length === 2);
  });
});
