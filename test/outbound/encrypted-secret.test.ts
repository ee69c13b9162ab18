/**
 * Secrets encrypted at rest reach the worker: a subscription signed by a Secret the ingress stored
 * encrypted (TEMPOHOOK_SECRET_KEY) is delivered, signed, by a worker whose TempohookPlugin opens
 * its own store from `databaseUrl` with the same `encryptionKey`.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { Webhook } from 'standardwebhooks';
import { silentLogger } from '../../src/logger';
import { TempohookPlugin } from '../../src/worker';
import { createTestStore } from '../support/db';
import { secretBody, startTestIngress, type TestIngress } from '../support/ingress';
import { OUTBOUND_ALLOW, WHSEC } from '../support/notifications';
import { createNotificationTestActivities } from '../support/notification-activities';
import { startReceiver, type TestReceiver } from '../support/receiver';
import { getTestTemporal, uniqueTaskQueue } from '../support/temporal';

describe('a subscription signed by an encrypted Secret', () => {
  const key = randomBytes(32).toString('base64');
  const taskQueue = uniqueTaskQueue('encrypted');
  let store: Awaited<ReturnType<typeof createTestStore>>;
  let ingress: TestIngress;
  let receiver: TestReceiver;
  let worker: Worker;
  let running: Promise<void>;

  before(async () => {
    store = await createTestStore({ encryptionKey: key });
    const temporal = await getTestTemporal();
    ingress = await startTestIngress(store, temporal.client, { outboundAllow: OUTBOUND_ALLOW });
    receiver = await startReceiver();
    // The plugin's own store, on the test's schema: the connection's search_path names it.
    const url = new URL(store.databaseUrl);
    url.searchParams.set('options', `-c search_path=${store.schema}`);
    worker = await Worker.create({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue,
      workflowBundle: temporal.workflowBundle,
      plugins: [
        new TempohookPlugin({
          databaseUrl: url.toString(),
          encryptionKey: key,
          outboundAllow: OUTBOUND_ALLOW,
          activities: createNotificationTestActivities(),
          logger: silentLogger,
        }),
      ],
    });
    running = worker.run();
  });
  after(async () => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running?.catch(() => undefined);
    await receiver?.close();
    await ingress?.close();
    await store?.dropSchema();
  });

  test('is delivered with a signature the receiver verifies; the Secret is not stored in clear', async () => {
    assert.equal((await ingress.api('PUT', '/v1/secrets/sealed', secretBody({ key: WHSEC }))).status, 201);
    const stored = JSON.stringify((await store.db.query('SELECT * FROM secrets')).rows);
    assert.ok(!stored.includes(WHSEC.slice(6)), 'encrypted at rest');
    const sub = await ingress.api('PUT', '/v1/subscriptions/sealed-sub', {
      apiVersion: 'tempohook.dev/v1',
      kind: 'Subscription',
      spec: {
        url: receiver.url,
        events: ['workflow.completed'],
        secretRef: { name: 'sealed', key: 'key' },
        scope: { workflowType: 'threeSteps' },
      },
    });
    assert.equal(sub.status, 201, JSON.stringify(sub.body));
    const temporal = await getTestTemporal();
    const run = await temporal.client.workflow.start('threeSteps', {
      taskQueue,
      workflowId: `encrypted-${randomUUID()}`,
      args: [{ name: 'sealed' }],
    });
    await run.result();
    await receiver.waitFor((rs) => rs.some((r) => r.body?.workflow?.runId === run.firstExecutionRunId));
    const delivered = receiver.requests.find((r) => r.body?.workflow?.runId === run.firstExecutionRunId)!;
    assert.equal(delivered.body.type, 'workflow.completed');
    new Webhook(WHSEC).verify(delivered.rawBody, delivered.headers as Record<string, string>);
  });
});
