/**
 * A worker killed mid-delivery: another worker resumes the delivery, under the same event id.
 *
 * Recovery path: the dispatcher's first attempt runs in the worker process, on an outbox row
 * this worker claimed when its sink stored the event (claim: the subscription's timeout + 5 s).
 * When the worker dies (SIGKILL: no goodbye), the claim expires and the surviving worker's
 * dispatcher claims the row and sends it again, same envelope. Retries after the first
 * attempt are regular activities in a `tempohookDeliverEvent` workflow: a dead worker's attempt
 * times out after the subscription's `timeout` + 5 s and is retried elsewhere. The run itself
 * moves on the same way (its workflow tasks, its steps).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { secretBody } from '../support/ingress';
import { eventually, startNotificationFixture, WHSEC, type NotificationFixture } from '../support/notifications';
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

/**
 * A worker killed around the workflow task that produced an event. Events are stored by a
 * workflow sink that the worker awaits before it reports the task complete: killed before
 * that, the task is re-executed elsewhere and the event stored then; killed after it, the
 * stored row is claimed by another worker's dispatcher once the dead worker's claim expires
 * (the subscription's timeout + 5 s). Either way: the same event id, never a new one.
 */
describe('a worker killed before or after the workflow task that produced an event completes', () => {
  let fx: NotificationFixture;
  let receiver: TestReceiver;
  let doomed: WorkerProcess | undefined;
  before(async () => {
    fx = await startNotificationFixture({ startWorker: false });
    receiver = await startReceiver();
  });
  after(async () => {
    await doomed?.kill();
    await receiver.close();
    await fx.close();
  });

  /** Holds `LOCK TABLE … IN mode` in an open transaction until the returned release is called. */
  const lockTable = async (table: string, mode: string) => {
    const client = await fx.store.db.connect();
    await client.query('BEGIN');
    await client.query(`LOCK TABLE ${table} IN ${mode} MODE`);
    return async () => {
      await client.query('COMMIT');
      client.release();
    };
  };
  const spawn = () =>
    spawnNotificationWorker({ databaseUrl: fx.store.databaseUrl, schema: fx.store.schema, taskQueue: fx.taskQueue });

  test('killed while the sink waits to store the event (task not complete): the task runs again elsewhere, same ids', async () => {
    await fx.subscribe('before-task', { url: receiver.url, events: ['workflow.started', 'workflow.completed'] });
    // Inserts wait: the dying worker's sink cannot store workflow.started.
    const release = await lockTable('notification_deliveries', 'EXCLUSIVE');
    let released = false;
    try {
      doomed = await spawn();
      const handle = await fx.temporal.client.workflow.start('threeSteps', {
        taskQueue: fx.taskQueue,
        workflowId: `before-task-${Date.now()}`,
        args: [{ name: 'before' }],
      });
      await new Promise((r) => setTimeout(r, 2500));
      const history = await handle.fetchHistory();
      assert.ok(
        history.events!.some((e) => e.workflowTaskStartedEventAttributes) &&
          !history.events!.some((e) => e.workflowTaskCompletedEventAttributes),
        'the first workflow task is held by the sink',
      );
      await doomed.kill();
      await release();
      released = true;
      await fx.startWorker();
      await handle.result();
      const runId = handle.firstExecutionRunId;
      await receiver.waitFor((rs) => rs.filter((r) => r.body?.workflow?.runId === runId).length >= 2, 30_000);
      const ids = receiver.requests.filter((r) => r.body?.workflow?.runId === runId).map((r) => r.body.id);
      assert.deepEqual(new Set(ids), new Set([`evt_${runId}_1`, `evt_${runId}_5`]));
    } finally {
      if (!released) await release();
      await fx.stopWorker();
    }
  });

  test('killed after the task completed, before the first attempt: another worker delivers the stored event after the claim expires', async () => {
    await fx.ingress.api('DELETE', '/v1/subscriptions/before-task');
    await fx.ingress.api('PUT', '/v1/secrets/crash-signing', secretBody({ key: WHSEC }));
    await fx.subscribe('after-task', {
      url: receiver.url.replace('/hooks', '/after'),
      events: ['workflow.completed'],
      timeout: '2s',
      secretRef: { name: 'crash-signing', key: 'key' },
    });
    // The dispatcher reads the signing secret before it sends: that read waits.
    const release = await lockTable('secrets', 'ACCESS EXCLUSIVE');
    let released = false;
    try {
      doomed = await spawn();
      const handle = await fx.temporal.client.workflow.start('threeSteps', {
        taskQueue: fx.taskQueue,
        workflowId: `after-task-${Date.now()}`,
        args: [{ name: 'after' }],
      });
      await handle.result();
      const eventId = `evt_${handle.firstExecutionRunId}_5`;
      const stored = await eventually(async () => {
        const { rows } = await fx.store.db.query(
          `SELECT status, outbox_state FROM notification_deliveries WHERE event_id = $1`,
          [eventId],
        );
        return rows[0];
      }, 'the stored delivery');
      assert.deepEqual(stored, { status: 'pending', outbox_state: 'queued' });
      await doomed.kill();
      const killedAt = Date.now();
      await release();
      released = true;
      await fx.startWorker();
      await receiver.waitFor((rs) => rs.some((r) => r.path === '/after' && r.body?.id === eventId), 30_000);
      const sent = receiver.requests.filter((r) => r.path === '/after');
      assert.deepEqual(
        sent.map((r) => r.body.id),
        [eventId],
        'sent once, by the surviving worker',
      );
      assert.ok(sent[0]!.at > killedAt);
      assert.equal(sent[0]!.headers['webhook-id'], eventId);
    } finally {
      if (!released) await release();
    }
  });
});
