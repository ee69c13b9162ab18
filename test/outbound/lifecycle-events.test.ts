/**
 * A receiver on 127.0.0.1 gets the lifecycle events of real runs, signed; the signatures are
 * checked with the `standardwebhooks` package and, for the hex scheme, node:crypto.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { Webhook } from 'standardwebhooks';
import { secretBody } from '../support/ingress';
import { startNotificationFixture, WHSEC, type NotificationFixture } from '../support/notifications';
import { startReceiver, type ReceivedRequest, type TestReceiver } from '../support/receiver';

describe('lifecycle notifications', () => {
  let fx: NotificationFixture;
  let receiver: TestReceiver;
  let hexReceiver: TestReceiver;

  before(async () => {
    fx = await startNotificationFixture();
    receiver = await startReceiver();
    hexReceiver = await startReceiver();
    await fx.ingress.api(
      'PUT',
      '/v1/secrets/signing',
      secretBody({
        current: WHSEC,
        next: `whsec_${Buffer.from('the-next-key-after-rotation').toString('base64')}`,
        hex: 'plain-hex-secret',
      }),
    );
    await fx.subscribe('all-events', {
      url: receiver.url,
      events: ['*'],
      secretRef: [
        { name: 'signing', key: 'current' },
        { name: 'signing', key: 'next' },
      ],
      headers: { 'X-Team': 'payments' },
    });
    await fx.subscribe('hex-completed', {
      url: hexReceiver.url,
      events: ['workflow.completed'],
      scheme: 'hmac-sha256-hex',
      secretRef: { name: 'signing', key: 'hex' },
    });
  });
  after(async () => {
    await receiver.close();
    await hexReceiver.close();
    await fx.close();
  });

  const forRun = (runId: string) => (r: ReceivedRequest) => r.body?.workflow?.runId === runId;

  test('started, three step.completed and completed arrive, each verified by the standardwebhooks package under both rotated secrets', async () => {
    const handle = await fx.temporal.client.workflow.start('threeSteps', {
      taskQueue: fx.taskQueue,
      workflowId: `three-${Date.now()}`,
      args: [{ name: 'ada' }],
    });
    await handle.result();
    await receiver.waitFor((rs) => rs.filter(forRun(handle.firstExecutionRunId)).length >= 5);
    const mine = receiver.requests.filter(forRun(handle.firstExecutionRunId));
    assert.deepEqual(
      mine.map((r) => r.body.type).sort(),
      ['step.completed', 'step.completed', 'step.completed', 'workflow.completed', 'workflow.started'].sort(),
    );
    for (const r of mine) {
      for (const key of [WHSEC, `whsec_${Buffer.from('the-next-key-after-rotation').toString('base64')}`]) {
        const verified = new Webhook(key).verify(r.rawBody, {
          'webhook-id': r.headers['webhook-id'] as string,
          'webhook-timestamp': r.headers['webhook-timestamp'] as string,
          'webhook-signature': r.headers['webhook-signature'] as string,
        });
        assert.equal((verified as any).id, r.body.id);
      }
      assert.equal(r.headers['webhook-signature']!.toString().split(' ').length, 2, 'one v1 signature per secret');
      assert.equal(r.headers['webhook-id'], r.body.id);
      assert.equal(r.headers['x-team'], 'payments');
      assert.deepEqual(Object.keys(r.body).sort(), ['data', 'id', 'timestamp', 'type', 'workflow']);
      assert.deepEqual(r.body.workflow, {
        namespace: fx.temporal.namespace,
        id: handle.workflowId,
        runId: handle.firstExecutionRunId,
        type: 'threeSteps',
        taskQueue: fx.taskQueue,
        attempt: 1,
      });
    }
    const completed = mine.find((r) => r.body.type === 'workflow.completed')!;
    assert.deepEqual(completed.body.data.result, { greeting: 'hello ada', steps: 3 });
    const steps = mine.filter((r) => r.body.type === 'step.completed').map((r) => r.body.data);
    assert.ok(
      steps.every((s) => s.activityType === 'recordStep' && typeof s.durationMs === 'number' && s.attempt === 1),
      JSON.stringify(steps),
    );
    assert.equal(new Set(mine.map((r) => r.body.id)).size, 5, 'every event has its own id');
  });

  test('the hex scheme signs timestamp.body with HMAC-SHA256, checkable with node:crypto', async () => {
    const handle = await fx.temporal.client.workflow.start('threeSteps', {
      taskQueue: fx.taskQueue,
      workflowId: `hex-${Date.now()}`,
      args: [{ name: 'hex' }],
    });
    await handle.result();
    await hexReceiver.waitFor((rs) => rs.some(forRun(handle.firstExecutionRunId)));
    const [r] = hexReceiver.requests.filter(forRun(handle.firstExecutionRunId));
    assert.equal(r!.body.type, 'workflow.completed');
    const ts = r!.headers['x-tempohook-timestamp'] as string;
    assert.ok(Math.abs(Number(ts) - Date.now() / 1000) < 60);
    const expected = createHmac('sha256', 'plain-hex-secret').update(`${ts}.${r!.rawBody}`).digest('hex');
    assert.equal(r!.headers['x-tempohook-signature'], `sha256=${expected}`);
    assert.equal(r!.headers['x-tempohook-id'], r!.body.id);
    assert.equal(
      hexReceiver.requests.filter(forRun(handle.firstExecutionRunId)).length,
      1,
      'only the events it subscribed to',
    );
  });

  test('a failing step sends step.failed and workflow.failed with the error type and message', async () => {
    const handle = await fx.temporal.client.workflow.start('failsInStep', {
      taskQueue: fx.taskQueue,
      workflowId: `fail-${Date.now()}`,
    });
    await assert.rejects(handle.result(), WorkflowFailedError);
    await receiver.waitFor((rs) => rs.filter(forRun(handle.firstExecutionRunId)).length >= 3);
    const byType = Object.fromEntries(
      receiver.requests.filter(forRun(handle.firstExecutionRunId)).map((r) => [r.body.type, r.body.data]),
    );
    assert.equal(byType['step.failed'].activityType, 'failStep');
    assert.equal(byType['step.failed'].error.cause.type, 'PaymentDeclined');
    assert.equal(byType['step.failed'].error.cause.message, 'card declined');
    assert.equal(byType['workflow.failed'].error.type, 'ActivityFailure');
    assert.equal(byType['workflow.failed'].error.cause.type, 'PaymentDeclined');
  });

  test('emitEvent sends a custom event; cancellation sends workflow.cancelled', async () => {
    const custom = await fx.temporal.client.workflow.start('emitsCustomEvent', {
      taskQueue: fx.taskQueue,
      workflowId: `custom-${Date.now()}`,
      args: [{ orderId: 'o-1' }],
    });
    await custom.result();
    await receiver.waitFor((rs) =>
      rs.some((r) => forRun(custom.firstExecutionRunId)(r) && r.body.type === 'order.shipped'),
    );
    assert.deepEqual(receiver.requests.find((r) => r.body?.type === 'order.shipped')!.body.data, { orderId: 'o-1' });

    const waiting = await fx.temporal.client.workflow.start('waitsForCancel', {
      taskQueue: fx.taskQueue,
      workflowId: `cancel-${Date.now()}`,
    });
    await receiver.waitFor((rs) =>
      rs.some((r) => forRun(waiting.firstExecutionRunId)(r) && r.body.type === 'workflow.started'),
    );
    await waiting.cancel();
    await receiver.waitFor((rs) =>
      rs.some((r) => forRun(waiting.firstExecutionRunId)(r) && r.body.type === 'workflow.cancelled'),
    );
  });

  test('the delivery log records every event with its attempts, and the API never returns a secret', async () => {
    const deliveries = await fx.ingress.api('GET', '/v1/subscriptions/all-events/deliveries?limit=100');
    assert.equal(deliveries.status, 200);
    assert.ok(deliveries.body.items.length >= 5);
    const one = deliveries.body.items[0];
    assert.equal(one.status, 'succeeded');
    assert.equal(one.attemptLog[0].httpStatus, 200);
    assert.equal(one.attemptLog[0].responseBody, 'ok');
    const sub = await fx.ingress.api('GET', '/v1/subscriptions/all-events');
    assert.equal(sub.body.status.state, 'active');
    const text = JSON.stringify([deliveries.body, sub.body, (await fx.ingress.api('GET', '/v1/subscriptions')).body]);
    for (const secret of [WHSEC, 'plain-hex-secret', WHSEC.slice(6)]) assert.ok(!text.includes(secret));
  });
});
