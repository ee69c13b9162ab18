/**
 * Replay of one delivery, against the real Temporal dev server and PostgreSQL. The case:
 * a start that fails because the namespace lacks tempohook's search attributes → the attributes
 * are created → `POST /v1/deliveries/{id}/replay` → exactly one run, recorded as a new delivery
 * linked to the original; a second replay answers `duplicate` with that run; `?newEventId=true`
 * starts another. A signal webhook's replay resumes a wait still open. A delivery whose payload
 * is gone, or that never passed verification, answers a 4xx whose code says why.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { ensureSearchAttributes } from '../../src/temporal/dev-server';
import YAML from 'yaml';
import { getCommand } from '../../src/cli/resource-commands';
import { replayCommand } from '../../src/cli/replay-command';
import { createExampleWorker } from '../../src/worker/example-worker';
import { runCli } from '../cli/cli-harness';
import { createTestStore, type TestStore } from '../support/db';
import {
  genericDeliveryHeaders,
  secretBody,
  startTestIngress,
  TEST_ADMIN_TOKEN,
  webhookBody,
  type TestIngress,
} from '../support/ingress';
import { getTestTemporal, uniqueTaskQueue, type TestTemporal } from '../support/temporal';

const SECRET = 'replay-secret';

/** Registers a fresh namespace (no tempohook search attributes) and waits until it takes calls. */
async function freshNamespace(temporal: TestTemporal): Promise<string> {
  const namespace = `replay-${randomUUID().slice(0, 8)}`;
  await temporal.connection.workflowService.registerNamespace({
    namespace,
    // protobufjs takes a number for an int64 field; the generated type says Long.
    workflowExecutionRetentionPeriod: { seconds: 86_400 as never },
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await temporal.connection.workflowService.describeNamespace({ namespace });
      return namespace;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

describe('replaying a delivery', () => {
  let store: TestStore;
  let temporal: TestTemporal;
  let namespace: string;
  let client: Client;
  let ingress: TestIngress;
  const taskQueue = uniqueTaskQueue('replay');
  let path: string;

  before(async () => {
    store = await createTestStore();
    temporal = await getTestTemporal();
    namespace = await freshNamespace(temporal);
    client = new Client({ connection: temporal.connection, namespace });
    ingress = await startTestIngress(store, client);
    assert.equal((await ingress.api('PUT', '/v1/secrets/replay', secretBody({ value: SECRET }))).status, 201);
    const hook = await ingress.api(
      'PUT',
      '/v1/webhooks/orders',
      webhookBody({
        profile: 'generic',
        secretRef: { name: 'replay', key: 'value' },
        start: { workflowType: 'weeklyReport', taskQueue },
      }),
    );
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    path = hook.body.status.endpointPath;
  });

  after(async () => {
    await ingress?.close();
    await store?.dropSchema();
  });

  const deliver = (eventId: string, payload: unknown = { order: eventId }) => {
    const body = JSON.stringify(payload);
    return ingress.deliver(path, body, genericDeliveryHeaders(body, eventId, { secret: SECRET }));
  };

  /** The runs Temporal holds with this workflow id (every run, open or closed). */
  async function runsOf(workflowId: string): Promise<string[]> {
    const runs: string[] = [];
    const deadline = Date.now() + 10_000;
    // Visibility is eventually consistent: wait until the one run we know of is listed.
    for (;;) {
      runs.length = 0;
      for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` }))
        runs.push(execution.runId);
      if (runs.length > 0 || Date.now() > deadline) return runs;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  test('a start refused for a missing search attribute, replayed once the attribute exists, gives exactly one run', async () => {
    const eventId = `evt-${randomUUID()}`;
    const failed = await deliver(eventId);
    assert.equal(failed.status, 400, JSON.stringify(failed.body));
    assert.equal(failed.body.error.code, 'webhook_task_creation_failed');
    const original = (await store.db.query(`SELECT id, outcome, reason FROM deliveries WHERE event_id = $1`, [eventId]))
      .rows[0];
    assert.equal(original.outcome, 'failed');
    assert.match(original.reason, /search attribute|Tempohook/i);

    // The operator fixes the namespace.
    await ensureSearchAttributes(temporal.connection, namespace);

    let replay = await ingress.api('POST', `/v1/deliveries/${original.id}/replay`);
    // A namespace's new search attributes reach every history shard within a few seconds.
    for (let i = 0; i < 50 && replay.status === 400; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      replay = await ingress.api('POST', `/v1/deliveries/${original.id}/replay`);
    }
    assert.equal(replay.status, 202, JSON.stringify(replay.body));
    assert.equal(replay.body.duplicate, false);
    assert.equal(replay.body.replayOf, original.id);
    assert.equal(replay.body.workflowId, `default/orders/${eventId}`);
    assert.notEqual(replay.body.deliveryId, original.id);

    const detail = await ingress.api('GET', `/v1/deliveries/${replay.body.deliveryId}`);
    assert.equal(detail.body.replayOf, original.id);
    assert.equal(detail.body.outcome, 'started');
    assert.equal(detail.body.eventId, eventId);
    assert.equal(detail.body.run.namespace, namespace);
    assert.deepEqual(detail.body.body, { order: eventId });

    // Again: the event's run exists, so the answer is that run, without a second one.
    const again = await ingress.api('POST', `/v1/deliveries/${original.id}/replay`);
    assert.equal(again.status, 202, JSON.stringify(again.body));
    assert.equal(again.body.duplicate, true);
    assert.equal(again.body.runId, replay.body.runId);
    assert.deepEqual(await runsOf(replay.body.workflowId), [replay.body.runId]);

    // A deliberate re-run: a fresh event id, so a fresh workflow id.
    const rerun = await ingress.api('POST', `/v1/deliveries/${original.id}/replay?newEventId=true`);
    assert.equal(rerun.status, 202, JSON.stringify(rerun.body));
    assert.equal(rerun.body.duplicate, false);
    assert.notEqual(rerun.body.workflowId, replay.body.workflowId);
    assert.ok(rerun.body.workflowId.startsWith(`default/orders/${eventId}.replay-`), rerun.body.workflowId);
    assert.deepEqual(await runsOf(rerun.body.workflowId), [rerun.body.runId]);
    assert.deepEqual(await runsOf(replay.body.workflowId), [replay.body.runId]);

    const replays = await store.db.query(`SELECT outcome FROM deliveries WHERE replay_of = $1 ORDER BY received_at`, [
      original.id,
    ]);
    assert.deepEqual(
      replays.rows.map((r) => r.outcome).filter((o) => o !== 'failed'),
      ['started', 'duplicate', 'started'],
    );
  });

  test('tempohook get delivery ID -o yaml shows the body and the run; tempohook replay ID replays it', async () => {
    const eventId = `evt-${randomUUID()}`;
    const res = await deliver(eventId, { order: eventId, lines: [1, 2] });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const env = { TEMPOHOOK_URL: ingress.url, TEMPOHOOK_ADMIN_TOKEN: TEST_ADMIN_TOKEN };
    const yaml = await runCli(getCommand, ['delivery', res.body.deliveryId, '-o', 'yaml'], env);
    assert.equal(yaml.code, 0, yaml.stderr);
    const shown = YAML.parse(yaml.stdout);
    assert.deepEqual(shown.body, { order: eventId, lines: [1, 2] });
    assert.equal(shown.run.workflowId, res.body.workflowId);
    assert.match(shown.run.url, /^http:\/\/localhost:8233\/namespaces\//);
    assert.equal(shown.headers['x-signature'], undefined);
    const table = await runCli(getCommand, ['delivery', res.body.deliveryId], env);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /Temporal UI: +http:\/\/localhost:8233\//);
    assert.match(table.stdout, /"lines": \[/);

    const replayed = await runCli(replayCommand, [res.body.deliveryId], env);
    assert.equal(replayed.code, 0, replayed.stderr);
    assert.match(replayed.stdout, new RegExp(`replayed as [0-9a-f-]{36}: run already existed ${res.body.workflowId}`));
    const gone = await runCli(replayCommand, [randomUUID()], env);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /error \[not_found\]/);
  });

  test('a delivery whose payload is gone, or that was never verified, says why it cannot be replayed', async () => {
    const kept = await deliver(`evt-${randomUUID()}`);
    await store.db.query('DELETE FROM delivery_bodies WHERE delivery_id = $1', [kept.body.deliveryId ?? randomUUID()]);
    const id =
      kept.body.deliveryId ??
      (await store.db.query(`SELECT id FROM deliveries ORDER BY received_at DESC LIMIT 1`)).rows[0].id;
    const gone = await ingress.api('POST', `/v1/deliveries/${id}/replay`);
    assert.equal(gone.status, 410, JSON.stringify(gone.body));
    assert.equal(gone.body.error.code, 'payload_gone');

    const body = JSON.stringify({ order: 'forged' });
    const forged = await ingress.deliver(
      path,
      body,
      genericDeliveryHeaders(body, `evt-${randomUUID()}`, { secret: 'wrong' }),
    );
    assert.equal(forged.status, 401);
    let rejected: { id: string } | undefined;
    for (let i = 0; i < 50 && !rejected; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      rejected = (await store.db.query(`SELECT id FROM deliveries WHERE outcome = 'rejected' LIMIT 1`)).rows[0];
    }
    const unverified = await ingress.api('POST', `/v1/deliveries/${rejected!.id}/replay`);
    assert.equal(unverified.status, 409, JSON.stringify(unverified.body));
    assert.equal(unverified.body.error.code, 'delivery_unverified');

    const missing = await ingress.api('POST', `/v1/deliveries/${randomUUID()}/replay`);
    assert.equal(missing.status, 404);
    const bad = await ingress.api('POST', `/v1/deliveries/${id}/replay?newEventId=maybe`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'invalid_query');
  });
});

describe('replaying a delivery of a signal webhook', () => {
  let store: TestStore;
  let temporal: TestTemporal;
  let ingress: TestIngress;
  let worker: { worker: Worker; running: Promise<void> };
  const taskQueue = uniqueTaskQueue('replay-waits');
  let path: string;

  before(async () => {
    store = await createTestStore();
    temporal = await getTestTemporal();
    ingress = await startTestIngress(store, temporal.client);
    assert.equal((await ingress.api('PUT', '/v1/secrets/replay', secretBody({ value: SECRET }))).status, 201);
    const hook = await ingress.api(
      'PUT',
      '/v1/webhooks/approvals',
      webhookBody({ profile: 'generic', secretRef: { name: 'replay', key: 'value' }, signal: { enabled: true } }),
    );
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    path = hook.body.status.endpointPath;
    const w = await createExampleWorker({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue,
      workflowBundle: temporal.workflowBundle,
      store,
    });
    worker = { worker: w, running: w.run() };
  });

  after(async () => {
    if (worker?.worker.getState() === 'RUNNING') worker.worker.shutdown();
    await worker?.running.catch(() => undefined);
    await ingress?.close();
    await store?.dropSchema();
  });

  test('a replay resumes a wait opened after the original delivery', async () => {
    const approval = `approval-${randomUUID()}`;
    const body = JSON.stringify({ approval, approved: true });
    const first = await ingress.deliver(
      path,
      body,
      genericDeliveryHeaders(body, `evt-${randomUUID()}`, { secret: SECRET }),
    );
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.deepEqual(first.body.signaled, []);

    const handle = await temporal.client.workflow.start('waitOnce', {
      taskQueue,
      workflowId: `replay-wait-${randomUUID()}`,
      args: [{ webhook: 'approvals', options: { match: { '$.approval': approval }, timeout: '1 minute' } }],
      workflowExecutionTimeout: '2 minutes',
    });
    const deadline = Date.now() + 20_000;
    while (
      (await store.db.query(`SELECT 1 FROM waits WHERE workflow_id = $1 AND state = 'open'`, [handle.workflowId]))
        .rowCount === 0
    ) {
      assert.ok(Date.now() < deadline, 'the wait was registered');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const replay = await ingress.api('POST', `/v1/deliveries/${first.body.deliveryId}/replay`);
    assert.equal(replay.status, 202, JSON.stringify(replay.body));
    assert.equal(replay.body.replayOf, first.body.deliveryId);
    assert.deepEqual(
      replay.body.signaled.map((s: { workflowId: string }) => s.workflowId),
      [handle.workflowId],
    );
    const result = (await handle.result()) as { payload: unknown; deliveryId: string };
    assert.deepEqual(result.payload, { approval, approved: true });
    assert.equal(result.deliveryId, replay.body.deliveryId);

    // Nothing is open any more: a second replay resumes no one.
    const again = await ingress.api('POST', `/v1/deliveries/${first.body.deliveryId}/replay`);
    assert.equal(again.status, 202, JSON.stringify(again.body));
    assert.deepEqual(again.body.signaled ?? [], []);
  });
});
