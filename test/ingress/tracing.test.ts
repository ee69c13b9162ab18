/**
 * OpenTelemetry end to end, with an in-memory exporter: a signed delivery's `tempohook.delivery`
 * span (stages as events, outcome as attributes) and the spans of the workflow it started — the
 * client's start, the workflow run (exported through the worker's sink) and its activity — are one
 * trace. A caller's `traceparent` is continued.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { Resource } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { Client } from '@temporalio/client';
import { OpenTelemetryPlugin, OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { Worker } from '@temporalio/worker';
import { createExampleActivities } from '../../src/examples/activities';
import { loadDeliveryTracing } from '../../src/ingress/delivery';
import { silentLogger } from '../../src/logger';
import { TempohookPlugin } from '../../src/worker';
import { createTestStore } from '../support/db';
import { applyGenericWebhook, genericDeliveryHeaders, startTestIngress, type TestIngress } from '../support/ingress';
import { getTestTemporal, uniqueTaskQueue } from '../support/temporal';

const SECRET = 'tracing-secret-0123456789';

describe('tracing', () => {
  const exporter = new InMemorySpanExporter();
  const taskQueue = uniqueTaskQueue('tracing');
  let store: Awaited<ReturnType<typeof createTestStore>>;
  let ingress: TestIngress;
  let worker: Worker;
  let running: Promise<void>;
  let endpointPath: string;

  before(async () => {
    const provider = new BasicTracerProvider();
    provider.addSpanProcessor(new SimpleSpanProcessor(exporter));
    provider.register({
      contextManager: new AsyncLocalStorageContextManager().enable(),
      propagator: new W3CTraceContextPropagator(),
    });
    store = await createTestStore();
    const temporal = await getTestTemporal();
    // The ingress's client carries the delivery's span into the workflow's headers.
    const client = new Client({
      connection: temporal.connection,
      namespace: temporal.namespace,
      interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
    });
    ingress = await startTestIngress(store, client, { tracing: await loadDeliveryTracing() });
    endpointPath = await applyGenericWebhook(ingress, 'traced', {
      secretName: 'trace-secret',
      secret: SECRET,
      taskQueue,
    });
    // The worker continues the trace: OpenTelemetry's plugin beside tempohook's, bundled together.
    worker = await Worker.create({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue,
      workflowsPath: require.resolve('../../src/examples/workflows'),
      plugins: [
        new OpenTelemetryPlugin({
          resource: new Resource({ 'service.name': 'tempohook-test-worker' }),
          spanProcessor: new SimpleSpanProcessor(exporter),
        }),
        new TempohookPlugin({ store, activities: createExampleActivities(), logger: silentLogger }),
      ],
    });
    running = worker.run();
  });
  after(async () => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running?.catch(() => undefined);
    await ingress?.close();
    await store?.dropSchema();
  });

  const spansOf = (traceId: string) => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
  async function eventually(traceId: string, names: string[]): Promise<ReadableSpan[]> {
    for (let i = 0; i < 100; i++) {
      const spans = spansOf(traceId);
      if (names.every((n) => spans.some((s) => s.name === n))) return spans;
      await new Promise((r) => setTimeout(r, 100));
    }
    return spansOf(traceId);
  }

  test('one trace runs from the delivery through the start to the workflow and its activity', async () => {
    const body = JSON.stringify({ hello: 'trace' });
    const eventId = `evt-${randomUUID()}`;
    const res = await ingress.deliver(endpointPath, body, genericDeliveryHeaders(body, eventId, { secret: SECRET }));
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const delivery = exporter
      .getFinishedSpans()
      .find((s) => s.name === 'tempohook.delivery' && s.attributes['tempohook.event_id'] === eventId);
    assert.ok(delivery, 'the ingress span');
    assert.equal(delivery.attributes['tempohook.outcome'], 'started');
    assert.equal(delivery.attributes['tempohook.webhook'], 'default/traced');
    assert.equal(delivery.attributes['http.response.status_code'], 202);
    assert.equal(delivery.attributes['tempohook.request_id'], res.headers.get('x-request-id'));
    assert.deepEqual(
      delivery.events.map((e) => e.name),
      ['resolve', 'read', 'verify', 'admit', 'reserve', 'act', 'record', 'respond'],
    );

    const traceId = delivery.spanContext().traceId;
    const expected = ['StartWorkflow:weeklyReport', 'RunWorkflow:weeklyReport', 'RunActivity:summarizeWebhookPayload'];
    const spans = await eventually(traceId, expected);
    for (const name of expected)
      assert.ok(
        spans.some((s) => s.name === name),
        `${name} in the delivery's trace (have: ${spans.map((s) => s.name).join(', ')})`,
      );
    const start = spans.find((s) => s.name === 'StartWorkflow:weeklyReport')!;
    assert.equal(start.parentSpanId, delivery.spanContext().spanId, 'the start is a child of the delivery');
  });

  test("a caller's traceparent is continued; a refusal is a span too, with its code", async () => {
    const traceId = randomUUID().replace(/-/g, '');
    const body = JSON.stringify({ forged: true });
    const res = await ingress.deliver(endpointPath, body, {
      ...genericDeliveryHeaders(body, 'evt-forged', { secret: 'wrong' }),
      traceparent: `00-${traceId}-${'b'.repeat(16)}-01`,
    });
    assert.equal(res.status, 401);
    const [span] = spansOf(traceId);
    assert.ok(span, 'the delivery span joined the caller’s trace');
    assert.equal(span.name, 'tempohook.delivery');
    assert.equal(span.parentSpanId, 'b'.repeat(16));
    assert.equal(span.attributes['tempohook.outcome'], 'rejected');
    assert.equal(span.attributes['tempohook.refusal'], 'signature_mismatch');
  });
});
