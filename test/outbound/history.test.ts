/**
 * What notifications leave in workflow history: nothing. A run's history is the same with and
 * without the plugin (events go through a worker sink), so it replays with the plugin and
 * without it; retried deliveries run in workflows of their own, which replay too; histories
 * recorded before the plugin was added still replay; and no secret is ever in any of them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { deliverEventWorkflowId } from '../../src/outbound/deliver-event';
import { TempohookPlugin } from '../../src/worker/plugin';
import { secretBody } from '../support/ingress';
import { createNotificationTestActivities } from '../support/notification-activities';
import { startNotificationFixture, WHSEC, type NotificationFixture } from '../support/notifications';
import { startReceiver, type TestReceiver } from '../support/receiver';
import { uniqueTaskQueue } from '../support/temporal';

const ENV_SECRET = 'env-held-signing-secret-4d1f';

describe('notifications in workflow history', () => {
  let fx: NotificationFixture;
  let receiver: TestReceiver;
  before(async () => {
    process.env.TEMPOHOOK_TEST_HEX_SECRET = ENV_SECRET;
    fx = await startNotificationFixture();
    receiver = await startReceiver();
    await fx.ingress.api('PUT', '/v1/secrets/history-signing', secretBody({ key: WHSEC }));
    // The first attempt of each event to /hooks fails, so every event also gets a retry workflow.
    receiver.respond = (req) =>
      req.path === '/hooks' &&
      receiver.requests.filter((r) => r.path === '/hooks' && r.body?.id === req.body?.id)[0] === req
        ? { status: 503, body: 'busy' }
        : { status: 200, body: 'ok' };
    await fx.subscribe('history', {
      url: receiver.url,
      secretRef: { name: 'history-signing', key: 'key' },
      retry: { initialInterval: '200ms', maximumInterval: '1s' },
    });
    await fx.subscribe('history-hex', {
      url: receiver.url.replace('/hooks', '/hex'),
      scheme: 'hmac-sha256-hex',
      secretRef: '{env:TEMPOHOOK_TEST_HEX_SECRET}',
    });
  });
  after(async () => {
    await receiver.close();
    await fx.close();
  });

  test('a run recorded with the plugin has nothing of it in its history, and replays with and without the plugin; its retry workflow replays', async () => {
    const handle = await fx.temporal.client.workflow.start('threeSteps', {
      taskQueue: fx.taskQueue,
      workflowId: `replay-${Date.now()}`,
      args: [{ name: 'replay' }],
    });
    await handle.result();
    await receiver.waitFor(
      (rs) => rs.filter((r) => r.body?.workflow?.runId === handle.firstExecutionRunId).length >= 15,
    );
    const history = await handle.fetchHistory();
    assert.deepEqual(
      history.events!.filter((e) => e.markerRecordedEventAttributes).length,
      0,
      'no patch marker, no local-activity marker',
    );
    assert.deepEqual(
      history
        .events!.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
        .filter((name) => name !== undefined),
      ['recordStep', 'recordStep', 'recordStep'],
      "only the workflow's own activities",
    );
    await Worker.runReplayHistory(
      { workflowBundle: fx.temporal.workflowBundle, plugins: [new TempohookPlugin()] },
      history,
      handle.workflowId,
    );
    // The plugin removed from the worker, and its interceptors from the bundle.
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('../support/workflows'),
      logger: new DefaultLogger('WARN'),
    });
    await Worker.runReplayHistory({ workflowBundle: { code } }, history, handle.workflowId);

    const completedId = receiver.requests.find(
      (r) => r.body.type === 'workflow.completed' && r.body.workflow.runId === handle.firstExecutionRunId,
    )!.body.id;
    const delivery = fx.temporal.client.workflow.getHandle(deliverEventWorkflowId(completedId, 'default/history'));
    await delivery.result();
    await Worker.runReplayHistory(
      { workflowBundle: fx.temporal.workflowBundle, plugins: [new TempohookPlugin()] },
      await delivery.fetchHistory(),
      delivery.workflowId,
    );
  });

  test('a history recorded before the plugin was added replays with it (patched() guards the new commands)', async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('../support/workflows'),
      logger: new DefaultLogger('WARN'),
    });
    const taskQueue = uniqueTaskQueue('no-plugin');
    const worker = await Worker.create({
      connection: fx.temporal.nativeConnection,
      namespace: fx.temporal.namespace,
      taskQueue,
      workflowBundle: { code },
      activities: createNotificationTestActivities(),
    });
    const history = await worker.runUntil(async () => {
      const handle = await fx.temporal.client.workflow.start('threeSteps', {
        taskQueue,
        workflowId: `pre-plugin-${Date.now()}`,
        args: [{ name: 'old' }],
      });
      await handle.result();
      return handle.fetchHistory();
    });
    assert.ok(!history.events!.some((e) => e.markerRecordedEventAttributes), 'recorded without notifications');
    await Worker.runReplayHistory(
      { workflowBundle: fx.temporal.workflowBundle, plugins: [new TempohookPlugin()] },
      history,
    );
  });

  test('no secret appears in the run history, the delivery workflow history or the API', async () => {
    const handle = await fx.temporal.client.workflow.start('threeSteps', {
      taskQueue: fx.taskQueue,
      workflowId: `secrets-${Date.now()}`,
      args: [{ name: 'secrets' }],
    });
    await handle.result();
    await receiver.waitFor(
      (rs) => rs.filter((r) => r.body?.workflow?.runId === handle.firstExecutionRunId).length >= 15,
    );
    const hex = receiver.requests.find(
      (r) => r.body?.workflow?.runId === handle.firstExecutionRunId && r.headers['x-tempohook-signature'],
    );
    assert.ok(hex, 'the env-held secret signed');
    const ids = [
      ...new Set(
        receiver.requests
          .filter((r) => r.body?.workflow?.runId === handle.firstExecutionRunId)
          .map((r) => r.body.id as string),
      ),
    ];
    const histories = [await handle.fetchHistory()];
    for (const id of ids) {
      const delivery = fx.temporal.client.workflow.getHandle(deliverEventWorkflowId(id, 'default/history'));
      await delivery.result();
      histories.push(await delivery.fetchHistory());
    }
    const api = await Promise.all(
      [
        '/v1/subscriptions',
        '/v1/subscriptions/history',
        '/v1/subscriptions/history/deliveries',
        '/v1/secrets/history-signing',
      ].map((p) => fx.ingress.api('GET', p)),
    );
    const text = JSON.stringify(histories) + JSON.stringify(api.map((a) => a.body));
    const base64 = (s: string) => Buffer.from(s).toString('base64');
    for (const secret of [WHSEC, WHSEC.slice(6), ENV_SECRET, base64(ENV_SECRET), base64(WHSEC)])
      assert.ok(!text.includes(secret), `no ${secret.slice(0, 8)}…`);
    assert.ok(text.includes('TEMPOHOOK_TEST_HEX_SECRET'), 'references are shown, values are not');
  });
});
