/**
 * `TempohookPlugin({ metrics: 'runtime' })`: notification attempts and the outbox backlog go to the
 * Temporal Runtime's meter, and so out through the SDK's own Prometheus exporter beside its
 * `temporal_*` metrics — for a worker whose metrics are already scraped there.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Runtime, Worker } from '@temporalio/worker';
import { createTestStore } from '../support/db';
import { startTestIngress, type TestIngress } from '../support/ingress';
import { OUTBOUND_ALLOW, testPlugin } from '../support/notifications';
import { freePort } from '../support/ports';
import { startReceiver, type TestReceiver } from '../support/receiver';
import { getTestTemporal, uniqueTaskQueue } from '../support/temporal';

describe("notification metrics on the Temporal Runtime's meter", () => {
  let metricsUrl: string;
  let store: Awaited<ReturnType<typeof createTestStore>>;
  let ingress: TestIngress;
  let receiver: TestReceiver;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = uniqueTaskQueue('runtime-metrics');

  before(async () => {
    // Before anything makes the default Runtime (the test run's connections do, on first use).
    const port = await freePort();
    Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${port}` } } } });
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    store = await createTestStore();
    const temporal = await getTestTemporal();
    ingress = await startTestIngress(store, temporal.client, { outboundAllow: OUTBOUND_ALLOW });
    receiver = await startReceiver();
    worker = await Worker.create({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue,
      workflowBundle: temporal.workflowBundle,
      plugins: [testPlugin(store, { metrics: 'runtime' })],
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

  test("a delivered notification is counted, and the outbox gauges appear, on the SDK's Prometheus endpoint", async () => {
    await ingress.api('PUT', '/v1/subscriptions/runtime-sub', {
      apiVersion: 'tempohook.dev/v1',
      kind: 'Subscription',
      spec: { url: receiver.url, events: ['workflow.completed'], scope: { workflowType: 'threeSteps' } },
    });
    const temporal = await getTestTemporal();
    const run = await temporal.client.workflow.start('threeSteps', {
      taskQueue,
      workflowId: `runtime-metrics-${randomUUID()}`,
      args: [{ name: 'runtime' }],
    });
    await run.result();
    await receiver.waitFor((rs) => rs.some((r) => r.body?.workflow?.runId === run.firstExecutionRunId));
    const succeeded =
      /^(?:temporal_)?tempohook_notification_attempts(?:_total)?\{[^}]*outcome="succeeded"[^}]*\} (\d+)/m;
    let text = '';
    for (let i = 0; i < 100 && !succeeded.test(text); i++) {
      await new Promise((r) => setTimeout(r, 100));
      text = await (await fetch(metricsUrl)).text();
    }
    assert.equal(
      Number(succeeded.exec(text)?.[1]),
      1,
      text
        .split('\n')
        .filter((l) => l.includes('tempohook'))
        .join('\n'),
    );
    assert.match(text, /^(?:temporal_)?tempohook_notification_outbox_queued(?:\{[^}]*\})? \d+/m);
    assert.match(text, /^(?:temporal_)?tempohook_notification_outbox_lag_seconds(?:\{[^}]*\})? [\d.]+/m);
    assert.match(text, /^temporal_/m, "beside the SDK's own metrics");
  });
});
