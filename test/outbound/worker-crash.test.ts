/**
 * A worker killed mid-delivery: another worker resumes the delivery, under the same event id.
 *
 * Recovery path: the first attempt is a local activity, run while the delivery workflow's
 * workflow task stays open on the worker that took it. When that worker dies (SIGKILL: no
 * goodbye to the server), the server times the task out after the workflow task timeout
 * (10 s, the default `startDeliverEvent` keeps), drops the dead worker's sticky queue and hands
 * a new task to the shared queue; the surviving worker replays the history (no marker for the
 * unfinished attempt) and sends it again. Retries after the first attempt are regular
 * activities: a dead worker's attempt times out after the subscription's `timeout` + 5 s and
 * is retried elsewhere. The run itself moves on the same way (its workflow tasks, its steps).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, startNotificationFixture, type NotificationFixture } from '../support/notifications';
import { spawnNotificationWorker, type WorkerProcess } from '../support/notification-worker-process';
import { startReceiver, type ReceivedRequest, type TestReceiver } from '../support/receiver';

describe('a worker killed mid-delivery', () => {
  let fx: NotificationFixture;
  let receiver: TestReceiver;
  let doomed: WorkerProcess | undefined;
  const releases: Array<() => void> = [];
  /** An answer held until the test ends: the receiver is slow, the sender dies meanwhile. */
  const held = () => new Promise<{ status: number }>((resolve) => releases.push(() => resolve({ status: 200 })));

  before(async () => {
    // No in-process worker yet: the worker process is the only one polling until it dies.
    fx = await startNotificationFixture({ startWorker: false });
    receiver = await startReceiver();
  });
  after(async () => {
    for (const release of releases) release();
    await doomed?.kill();
    await receiver.close();
    await fx.close();
  });

  test('another worker resumes the delivery with the same envelope id; the run completes', async () => {
    // The first request is held open (a slow receiver); every later one is answered at once.
    receiver.respond = (req) => (receiver.requests.indexOf(req) === 0 ? held() : { status: 200, body: 'ok' });
    await fx.subscribe('crash', {
      url: receiver.url,
      events: ['*'],
      timeout: '3s',
      retry: { initialInterval: '500ms', maximumInterval: '1s', maximumAttempts: 50 },
    });

    doomed = await spawnNotificationWorker({
      databaseUrl: fx.store.databaseUrl,
      schema: fx.store.schema,
      taskQueue: fx.taskQueue,
    });
    const handle = await fx.temporal.client.workflow.start('threeSteps', {
      taskQueue: fx.taskQueue,
      workflowId: `crash-${Date.now()}`,
      args: [{ name: 'crash' }],
    });
    const forRun = (r: ReceivedRequest) => r.body?.workflow?.runId === handle.firstExecutionRunId;

    await receiver.waitFor((rs) => rs.some(forRun), 20_000);
    const first = receiver.requests.find(forRun)!;
    await doomed.kill();
    const killedAt = Date.now();
    await fx.startWorker();

    await receiver.waitFor((rs) => rs.filter((r) => r.body?.id === first.body.id).length >= 2, 45_000);
    const resent = receiver.requests.filter((r) => r.body?.id === first.body.id)[1]!;
    assert.ok(resent.at > killedAt, 'sent again after the kill, by the surviving worker');
    assert.equal(resent.headers['webhook-id'], first.headers['webhook-id']);
    assert.deepEqual(resent.body, first.body, 'the same envelope');

    assert.deepEqual(await handle.result(), { greeting: 'hello crash', steps: 3 }, 'the run completes regardless');
    await receiver.waitFor((rs) => new Set(rs.filter(forRun).map((r) => r.body.id)).size === 5, 45_000);

    // The delivery log: every event of the run delivered; the resumed one's last attempt is the 200.
    const deliveries = await eventually(async () => {
      const items = (await fx.ingress.api('GET', '/v1/subscriptions/crash/deliveries?limit=50')).body.items.filter(
        (d: any) => d.workflow?.runId === handle.firstExecutionRunId,
      );
      return items.length === 5 && items.every((d: any) => d.status === 'succeeded') ? (items as any[]) : undefined;
    }, 'all five deliveries succeeded');
    const resumed = deliveries.find((d) => d.eventId === first.body.id);
    assert.ok(resumed, 'the held event is in the delivery log');
    assert.equal(resumed.attemptLog.at(-1).httpStatus, 200);
    assert.ok(Date.parse(resumed.attemptLog.at(-1).startedAt) >= killedAt - 1000, JSON.stringify(resumed.attemptLog));
  });

  test('a retry (a regular activity) that dies with its worker is retried elsewhere after timeout + 5 s; the log shows the lost attempt as a gap', async () => {
    await fx.stopWorker();
    const retrying = await startReceiver();
    try {
      // 503 first (the local attempt), then the first retry is held while its worker is killed.
      retrying.respond = (req) => {
        const n = retrying.requests.indexOf(req);
        return n === 0 ? { status: 503, body: 'busy' } : n === 1 ? held() : { status: 200, body: 'ok' };
      };
      await fx.subscribe('crash-retry', {
        url: retrying.url,
        events: ['workflow.completed'],
        timeout: '2s',
        retry: { initialInterval: '200ms', maximumInterval: '1s', maximumAttempts: 50 },
      });
      doomed = await spawnNotificationWorker({
        databaseUrl: fx.store.databaseUrl,
        schema: fx.store.schema,
        taskQueue: fx.taskQueue,
      });
      const handle = await fx.temporal.client.workflow.start('threeSteps', {
        taskQueue: fx.taskQueue,
        workflowId: `crash-retry-${Date.now()}`,
        args: [{ name: 'retry' }],
      });

      await retrying.waitFor((rs) => rs.length >= 2, 20_000);
      await doomed.kill();
      const killedAt = Date.now();
      await fx.startWorker();
      await handle.result();

      await retrying.waitFor((rs) => rs.length >= 3, 45_000);
      const [first, lost, resumed] = retrying.requests;
      assert.ok(resumed!.at > killedAt);
      assert.equal(new Set([first!.body.id, lost!.body.id, resumed!.body.id]).size, 1, 'one envelope id throughout');
      const delivery = await eventually(async () => {
        const [d] = (await fx.ingress.api('GET', '/v1/subscriptions/crash-retry/deliveries')).body.items;
        return d?.status === 'succeeded' ? d : undefined;
      }, 'the delivery succeeded');
      // Attempt 2 died with its worker: Temporal counted it (timed out), nothing recorded its outcome.
      assert.deepEqual(
        delivery.attemptLog.map((a: any) => [a.attempt, a.httpStatus]),
        [
          [1, 503],
          [3, 200],
        ],
      );
    } finally {
      await retrying.close();
    }
  });
});
