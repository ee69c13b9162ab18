/**
 * Prometheus metrics, scraped over HTTP as Prometheus does: deliveries move the ingress's
 * counters and stage histograms by exactly what happened (accepted, 401 by reason, 429, unknown
 * endpoint), waits show by state, and a worker's notification attempts and outbox backlog show on
 * `tempohook worker`'s metrics listener.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { Registry } from 'prom-client';
import { serveMetrics, type MetricsServer } from '../../src/runtime/metrics-server';
import { compileMatch } from '../../src/waits/match';
import { createTestStore } from '../support/db';
import {
  genericDeliveryHeaders,
  secretBody,
  startTestIngress,
  webhookBody,
  type TestIngress,
} from '../support/ingress';
import { testPlugin } from '../support/notifications';
import { startReceiver, type TestReceiver } from '../support/receiver';
import { getTestTemporal, uniqueTaskQueue } from '../support/temporal';

const SECRET = 'metrics-secret-0123456789';

/** The value of one sample in a text exposition, or undefined when it is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = line.slice(name.length).match(/^\{(.*)\}/)?.[1] ?? '';
    const have = labelText === '' ? [] : labelText.split(/,(?=[a-z_]+=")/);
    if (wanted.every((w) => have.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return res.text();
}

describe('metrics', () => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  let temporal: Awaited<ReturnType<typeof getTestTemporal>>;
  let ingress: TestIngress;
  let endpointPath: string;
  let limitedPath: string;

  before(async () => {
    store = await createTestStore();
    temporal = await getTestTemporal();
    ingress = await startTestIngress(store, temporal.client, { metrics: new Registry() });
    await ingress.api('PUT', '/v1/secrets/metrics-secret', secretBody({ value: SECRET }));
    const start = { workflowType: 'weeklyReport', taskQueue: uniqueTaskQueue('metrics') };
    const secretRef = { name: 'metrics-secret', key: 'value' };
    endpointPath = (
      await ingress.api('PUT', '/v1/webhooks/counted', webhookBody({ profile: 'generic', secretRef, start }))
    ).body.status.endpointPath;
    limitedPath = (
      await ingress.api(
        'PUT',
        '/v1/webhooks/limited',
        webhookBody({
          profile: 'generic',
          secretRef,
          start,
          conditions: [{ type: 'rate-limit', limits: [{ period: '1h', quota: 1 }] }],
        }),
      )
    ).body.status.endpointPath;
  });
  after(async () => {
    await ingress?.close();
    await store?.dropSchema();
  });

  const signed = (path: string, eventId = `evt-${randomUUID()}`, secret = SECRET) => {
    const body = JSON.stringify({ n: eventId });
    return ingress.deliver(path, body, genericDeliveryHeaders(body, eventId, { secret }));
  };

  test('deliveries move the counters by what happened to them; every stage is timed', async () => {
    const url = `${ingress.url}/metrics`;
    const before = await scrape(url);
    const counted = { webhook: 'default/counted', profile: 'generic' };
    const startedBefore = sample(before, 'tempohook_deliveries_total', { ...counted, outcome: 'started' }) ?? 0;
    const verifyCountBefore =
      sample(before, 'tempohook_delivery_stage_duration_seconds_count', { stage: 'verify' }) ?? 0;

    const eventId = `evt-${randomUUID()}`;
    assert.equal((await signed(endpointPath, eventId)).status, 202);
    assert.equal((await signed(endpointPath, eventId)).status, 202); // the same event again: a duplicate
    assert.equal((await signed(endpointPath)).status, 202);
    assert.equal((await signed(endpointPath, undefined, 'wrong-secret')).status, 401);
    assert.equal((await signed(endpointPath, undefined, 'wrong-secret')).status, 401);
    assert.equal((await signed(limitedPath)).status, 202);
    assert.equal((await signed(limitedPath)).status, 429);
    assert.equal((await ingress.deliver('/v1/webhook-deliveries/whk_unknown', '{}', {})).status, 404);

    const after = await scrape(url);
    assert.equal(
      sample(after, 'tempohook_deliveries_total', { ...counted, outcome: 'started', status: '202' }),
      startedBefore + 2,
    );
    assert.equal(sample(after, 'tempohook_deliveries_total', { ...counted, outcome: 'duplicate', status: '202' }), 1);
    assert.equal(sample(after, 'tempohook_deliveries_total', { ...counted, outcome: 'rejected', status: '401' }), 2);
    assert.equal(
      sample(after, 'tempohook_verification_failures_total', {
        webhook: 'default/counted',
        reason: 'signature_mismatch',
      }),
      2,
    );
    assert.equal(
      sample(after, 'tempohook_deliveries_total', { webhook: 'default/limited', outcome: 'rejected', status: '429' }),
      1,
    );
    assert.equal(sample(after, 'tempohook_rate_limited_total', { webhook: 'default/limited' }), 1);
    assert.equal(sample(after, 'tempohook_deliveries_total', { webhook: '', outcome: 'not_found', status: '404' }), 1);
    // Seven deliveries reached verify (the unknown endpoint stopped at resolve).
    assert.equal(
      sample(after, 'tempohook_delivery_stage_duration_seconds_count', { stage: 'verify' }),
      verifyCountBefore + 7,
    );
    for (const stage of ['resolve', 'read', 'verify', 'admit', 'reserve', 'act', 'record', 'respond'])
      assert.ok((sample(after, 'tempohook_delivery_stage_duration_seconds_count', { stage }) ?? 0) > 0, stage);
    // Started: two of "counted" and one of "limited".
    assert.equal(
      sample(after, 'tempohook_delivery_duration_seconds_count', { outcome: 'started' }),
      (sample(before, 'tempohook_delivery_duration_seconds_count', { outcome: 'started' }) ?? 0) + 3,
    );
    assert.doesNotMatch(after, /evt-|whk_unknown/, 'no event or endpoint ids as labels');
  });

  test('waits by state are read from the store when scraped', async () => {
    const webhookId = (await store.webhooks.get('default', 'counted'))!.id;
    const register = async () => {
      const match = { '$.n': randomUUID() };
      const wait = {
        id: randomUUID(),
        webhookId,
        temporalNamespace: 'default',
        workflowId: `wf-${randomUUID()}`,
        runId: randomUUID(),
        workflowType: 'waiting',
        match,
        compiled: compileMatch(match),
        condition: null,
        vars: null,
        since: null,
        timeoutAt: null,
        now: new Date(),
        accepts: () => true,
      };
      await store.waits.register(wait);
      return wait;
    };
    await register();
    const claimed = await register();
    const reserved = await store.deliveries.reserve({
      webhookId,
      eventId: randomUUID(),
      sourceEvent: null,
      receivedAt: new Date(),
      windowSeconds: 60,
    });
    const claims = await store.waits.claim({
      webhookId,
      temporalNamespace: 'default',
      matchKeys: [claimed.compiled.matchKey],
      deliveryId: reserved.delivery.id,
      eventId: reserved.delivery.eventId!,
      now: new Date(),
      accepts: () => true,
    });
    assert.equal(claims.length, 1);
    const text = await scrape(`${ingress.url}/metrics`);
    assert.equal(sample(text, 'tempohook_waits', { state: 'open' }), 1);
    assert.equal(sample(text, 'tempohook_waits', { state: 'claimed' }), 1);
  });

  describe('on a worker', () => {
    let receiver: TestReceiver;
    let worker: Worker;
    let running: Promise<void>;
    let server: MetricsServer;
    const taskQueue = uniqueTaskQueue('metrics-worker');

    before(async () => {
      receiver = await startReceiver();
      const registry = new Registry();
      worker = await Worker.create({
        connection: temporal.nativeConnection,
        namespace: temporal.namespace,
        taskQueue,
        workflowBundle: temporal.workflowBundle,
        plugins: [testPlugin(store, { metrics: registry })],
      });
      running = worker.run();
      server = await serveMetrics(registry, 0, '127.0.0.1');
    });
    after(async () => {
      await server?.close();
      if (worker?.getState() === 'RUNNING') worker.shutdown();
      await running?.catch(() => undefined);
      await receiver?.close();
    });

    test('notification attempts count by outcome, and the outbox backlog shows', async () => {
      await ingress.api('PUT', '/v1/subscriptions/metrics-sub', {
        apiVersion: 'tempohook.dev/v1',
        kind: 'Subscription',
        spec: { url: receiver.url, events: ['workflow.completed'], scope: { workflowType: 'threeSteps' } },
      });
      receiver.respond = () => ({ status: 200, body: 'ok' });
      const before =
        sample(await scrape(server.url), 'tempohook_notification_attempts_total', { outcome: 'succeeded' }) ?? 0;
      const run = await temporal.client.workflow.start('threeSteps', {
        taskQueue,
        workflowId: `metrics-${randomUUID()}`,
        args: [{ name: 'metrics' }],
      });
      await run.result();
      await receiver.waitFor((rs) => rs.some((r) => r.body?.workflow?.runId === run.firstExecutionRunId));
      // The attempt is counted when it returns, and its outbox row is finished just after.
      let text = '';
      for (let i = 0; i < 100; i++) {
        text = await scrape(server.url);
        const attempts = sample(text, 'tempohook_notification_attempts_total', { outcome: 'succeeded' }) ?? 0;
        if (attempts > before && sample(text, 'tempohook_notification_outbox_queued') === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(sample(text, 'tempohook_notification_attempts_total', { outcome: 'succeeded' }), before + 1);
      assert.equal(sample(text, 'tempohook_notification_outbox_queued'), 0);
      assert.equal(sample(text, 'tempohook_notification_outbox_lag_seconds'), 0);
      assert.equal((await fetch(server.url.replace('/metrics', '/other'))).status, 404);
    });
  });
});
