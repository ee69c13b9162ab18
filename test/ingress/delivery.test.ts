/**
 * The delivery endpoint over real HTTP, against the real Temporal dev server and PostgreSQL:
 * every response code of the contract, what the started run holds, and the 50-way race.
 */
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import Stripe from 'stripe';
import { after, before, describe, test } from 'node:test';
import { eventIdSearchAttribute, sourceSearchAttribute, webhookSearchAttribute } from '../../src/workflows/definitions';
import { startIngressFixture, type IngressFixture } from '../support/fixture';
import { genericDeliveryHeaders, secretBody, webhookBody, type TestIngress } from '../support/ingress';
import { uniqueTaskQueue } from '../support/temporal';

const SECRET = 'it-is-a-secret-to-everybody';
// @octokit/webhooks-methods is ESM-only with an `import`-only export map.
const octokitSign = async (secret: string, payload: string): Promise<string> =>
  (await import('@octokit/webhooks-methods')).sign(secret, payload);

const genericHeaders = (body: string, eventId: string, options: { secret?: string; timestamp?: number } = {}) =>
  genericDeliveryHeaders(body, eventId, { secret: SECRET, ...options });

describe('POST /v1/webhook-deliveries/{endpointId}', () => {
  let store: IngressFixture['store'];
  let temporal: IngressFixture['temporal'];
  let ingress: TestIngress;
  let fixture: IngressFixture;
  const taskQueue = uniqueTaskQueue('delivery');
  let genericPath: string;
  let githubPath: string;

  before(async () => {
    fixture = await startIngressFixture(taskQueue);
    ({ store, temporal, ingress } = fixture);

    assert.equal((await ingress.api('PUT', '/v1/secrets/hook-secret', secretBody({ value: SECRET }))).status, 201);
    const generic = await ingress.api(
      'PUT',
      '/v1/webhooks/reports',
      webhookBody({
        profile: 'generic',
        secretRef: { name: 'hook-secret', key: 'value' },
        maxBodyBytes: 4096,
        start: {
          workflowType: 'weeklyReport',
          taskQueue,
          input: { requestedBy: '{payload.requestedBy}', fixed: 'yes' },
        },
      }),
    );
    assert.equal(generic.status, 201, JSON.stringify(generic.body));
    genericPath = generic.body.status.endpointPath;
    const github = await ingress.api(
      'PUT',
      '/v1/webhooks/github-push',
      webhookBody({
        profile: 'github',
        secretRef: { name: 'hook-secret', key: 'value' },
        start: { workflowType: 'weeklyReport', taskQueue, input: { repository: '{payload.repository.full_name}' } },
      }),
    );
    assert.equal(github.status, 201, JSON.stringify(github.body));
    githubPath = github.body.status.endpointPath;
  });

  after(async () => {
    await fixture?.close();
  });

  test('a signed generic delivery starts the templated run with input, search attributes, memo and summary', async () => {
    const eventId = `evt-${randomUUID()}`;
    const body = JSON.stringify({ requestedBy: 'alice', items: [1, 2, 3] });
    const res = await ingress.deliver(genericPath, body, genericHeaders(body, eventId));
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.accepted, true);
    assert.equal(res.body.duplicate, false);
    assert.equal(res.body.workflowId, `default/reports/${eventId}`);
    assert.match(res.body.runId, /^[0-9a-f-]{36}$/);
    assert.match(res.body.deliveryId, /^[0-9a-f-]{36}$/);

    const handle = temporal.client.workflow.getHandle(res.body.workflowId, res.body.runId);
    const result = await handle.result();
    assert.equal(result.eventId, eventId);
    assert.equal(result.webhook, 'default/reports');
    assert.equal(result.source, 'generic');
    assert.deepEqual(result.mapped, { requestedBy: 'alice', fixed: 'yes' });
    assert.deepEqual(result.summary.keys, ['requestedBy', 'items']);

    const description = await handle.describe();
    assert.equal(description.type, 'weeklyReport');
    assert.equal(description.taskQueue, taskQueue);
    assert.equal(description.typedSearchAttributes.get(webhookSearchAttribute), 'default/reports');
    assert.equal(description.typedSearchAttributes.get(eventIdSearchAttribute), eventId);
    assert.equal(description.typedSearchAttributes.get(sourceSearchAttribute), 'generic:generic');
    const memo = description.memo as any;
    assert.equal(memo.tempohook.eventId, eventId);
    assert.equal(memo.tempohook.deliveryId, res.body.deliveryId);
    const metadata = await description.staticSummary();
    assert.match(metadata ?? '', /Webhook default\/reports/);

    const [input] = (await handle.fetchHistory()).events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads!;
    const startInput = JSON.parse(Buffer.from(input!.data!).toString('utf8'));
    assert.deepEqual(startInput.webhook_payload, { requestedBy: 'alice', items: [1, 2, 3] });
    assert.equal(startInput.webhook_event_id, eventId);
    assert.equal(startInput.webhook_source, 'generic');
    assert.ok(!Number.isNaN(Date.parse(startInput.webhook_received_at)));
  });

  test('a repeat inside the window is a 202 duplicate naming the same run, and both show in the history', async () => {
    const eventId = `evt-${randomUUID()}`;
    const body = JSON.stringify({ requestedBy: 'bob' });
    const first = await ingress.deliver(genericPath, body, genericHeaders(body, eventId));
    const second = await ingress.deliver(genericPath, body, genericHeaders(body, eventId));
    assert.equal(first.status, 202);
    assert.equal(second.status, 202);
    assert.equal(second.body.duplicate, true);
    assert.equal(second.body.workflowId, first.body.workflowId);
    assert.equal(second.body.runId, first.body.runId);
    assert.equal(second.body.originalDeliveryId, first.body.deliveryId);

    const history = await ingress.api('GET', '/v1/webhooks/reports/deliveries?limit=10');
    const mine = history.body.items.filter((d: any) => d.eventId === eventId);
    assert.deepEqual(
      mine.map((d: any) => d.outcome),
      ['duplicate', 'started'],
    );
    assert.equal(mine[1].workflowId, first.body.workflowId);
    assert.equal(mine[1].runId, first.body.runId);
  });

  test('bad, missing or stale signatures are 401 and start nothing', async () => {
    const eventId = `evt-${randomUUID()}`;
    const body = JSON.stringify({ requestedBy: 'mallory' });
    const wrongSecret = await ingress.deliver(
      genericPath,
      body,
      genericHeaders(body, eventId, { secret: 'not-the-secret' }),
    );
    assert.equal(wrongSecret.status, 401);
    assert.equal(wrongSecret.body.error.code, 'signature_mismatch');
    const tampered = await ingress.deliver(genericPath, body + ' ', genericHeaders(body, eventId));
    assert.equal(tampered.status, 401);
    const { 'x-signature': _drop, ...unsigned } = genericHeaders(body, eventId);
    const missing = await ingress.deliver(genericPath, body, unsigned);
    assert.equal(missing.status, 401);
    assert.equal(missing.body.error.code, 'signature_missing');
    const stale = await ingress.deliver(
      genericPath,
      body,
      genericHeaders(body, eventId, { timestamp: Math.floor(Date.now() / 1000) - 3600 }),
    );
    assert.equal(stale.status, 401);
    assert.equal(stale.body.error.code, 'timestamp_out_of_tolerance');
    const shortSignature = await ingress.deliver(genericPath, body, {
      ...genericHeaders(body, eventId),
      'x-signature': 'sha256=abcd',
    });
    assert.equal(shortSignature.status, 401);

    await assert.rejects(temporal.client.workflow.getHandle(`default/reports/${eventId}`).describe(), /not found/i);
    const webhook = await ingress.api('GET', '/v1/webhooks/reports');
    assert.match(webhook.body.status.lastError, /^401 /);
    assert.doesNotMatch(JSON.stringify(webhook.body), new RegExp(SECRET));
  });

  test('a delivery without an event id is 400', async () => {
    const body = JSON.stringify({ requestedBy: 'carol' });
    const { 'x-event-id': _drop, ...headers } = genericHeaders(body, 'unused');
    const res = await ingress.deliver(genericPath, body, headers);
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'event_id_missing');
  });

  test('an unknown endpoint is 404', async () => {
    const res = await ingress.deliver('/v1/webhook-deliveries/does-not-exist', '{}', {
      'content-type': 'application/json',
    });
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'endpoint_not_found');
  });

  test('a body over the webhook limit is 413 and recorded', async () => {
    const body = JSON.stringify({ requestedBy: 'x'.repeat(5000) });
    const res = await ingress.deliver(genericPath, body, genericHeaders(body, `evt-${randomUUID()}`));
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, 'body_too_large');
  });

  test('declared JSON that does not parse is 400 after verification', async () => {
    const body = '{"requestedBy": ';
    const res = await ingress.deliver(genericPath, body, genericHeaders(body, `evt-${randomUUID()}`));
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'invalid_body');
  });

  test('a GitHub delivery signed by @octokit/webhooks-methods starts a run; its event and delivery id are recorded', async () => {
    const deliveryId = randomUUID();
    const body = JSON.stringify({
      ref: 'refs/heads/main',
      repository: { full_name: 'acme/repo' },
      commits: [{ id: 'a' }, { id: 'b' }],
    });
    const res = await ingress.deliver(githubPath, body, {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': deliveryId,
      'x-hub-signature-256': await octokitSign(SECRET, body),
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.workflowId, `default/github-push/${deliveryId}`);
    const result = await temporal.client.workflow.getHandle(res.body.workflowId).result();
    assert.equal(result.source, 'push');
    assert.equal(result.summary.commits, 2);
    assert.deepEqual(result.mapped, { repository: 'acme/repo' });
    const description = await temporal.client.workflow.getHandle(res.body.workflowId).describe();
    assert.equal(description.typedSearchAttributes.get(sourceSearchAttribute), 'github:push');

    const wrong = await ingress.deliver(githubPath, body, {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': await octokitSign('wrong-secret', body),
    });
    assert.equal(wrong.status, 401);
  });

  test('50 concurrent identical deliveries start exactly one run: 1 duplicate:false, 49 duplicate:true', async () => {
    const eventId = `race-${randomUUID()}`;
    const body = JSON.stringify({ requestedBy: 'race' });
    const headers = genericHeaders(body, eventId);
    const responses = await Promise.all(Array.from({ length: 50 }, () => ingress.deliver(genericPath, body, headers)));
    assert.deepEqual(
      responses.map((r) => r.status),
      Array(50).fill(202),
    );
    assert.equal(responses.filter((r) => r.body.duplicate === false).length, 1);
    assert.equal(responses.filter((r) => r.body.duplicate === true).length, 49);
    assert.equal(new Set(responses.map((r) => r.body.workflowId)).size, 1);

    let runs = 0;
    for await (const _ of temporal.client.workflow.list({ query: `TempohookEventId = '${eventId}'` })) runs++;
    // Visibility is eventually consistent; the id's reuse policy already rules out a second run.
    assert.ok(runs <= 1, `expected at most one run, saw ${runs}`);
    const description = await temporal.client.workflow.getHandle(`default/reports/${eventId}`).describe();
    assert.equal(description.runId, responses.find((r) => r.body.duplicate === false)!.body.runId);
  });

  test('a key held by a delivery that never started its run does not swallow the retry', async () => {
    // As if an ingress crashed between reserving the event and starting the run.
    const eventId = `evt-${randomUUID()}`;
    const webhook = (await store.webhooks.get('default', 'reports'))!;
    const stuck = await store.deliveries.reserve({
      webhookId: webhook.id,
      eventId,
      sourceEvent: null,
      receivedAt: new Date(),
      windowSeconds: 3600,
    });
    assert.equal(stuck.reserved, true);
    const body = JSON.stringify({ requestedBy: 'retry' });
    const retry = await ingress.deliver(genericPath, body, genericHeaders(body, eventId));
    assert.equal(retry.status, 202, JSON.stringify(retry.body));
    assert.equal(retry.body.duplicate, false);
    assert.equal(retry.body.originalDeliveryId, stuck.delivery.id);
    const description = await temporal.client.workflow.getHandle(`default/reports/${eventId}`).describe();
    assert.equal(description.runId, retry.body.runId);
    const again = await ingress.deliver(genericPath, body, genericHeaders(body, eventId));
    assert.equal(again.body.duplicate, true);
    assert.equal(again.body.runId, retry.body.runId);
  });

  test('a workflow id placeholder that resolves to nothing is refused, not merged with other events', async () => {
    const res = await ingress.api(
      'PUT',
      '/v1/webhooks/by-order',
      webhookBody({
        profile: 'generic',
        secretRef: { name: 'hook-secret', key: 'value' },
        start: { workflowType: 'weeklyReport', taskQueue, workflowId: 'order-{payload.order.id}' },
      }),
    );
    const body = JSON.stringify({ requestedBy: 'no order' });
    const delivery = await ingress.deliver(
      res.body.status.endpointPath,
      body,
      genericHeaders(body, `evt-${randomUUID()}`),
    );
    assert.equal(delivery.status, 400);
    assert.equal(delivery.body.error.code, 'webhook_task_creation_failed');
    const webhook = await ingress.api('GET', '/v1/webhooks/by-order');
    assert.match(webhook.body.status.lastError, /left \{payload\.order\.id\} empty/);
  });

  test('a body-derived event id with a NUL byte is 400, not a store error', async () => {
    const res = await ingress.api(
      'PUT',
      '/v1/webhooks/stripe-events',
      webhookBody({
        profile: 'stripe',
        secretRef: { name: 'hook-secret', key: 'value' },
        start: { workflowType: 'weeklyReport', taskQueue },
      }),
    );
    assert.equal(res.status, 201);
    const body = JSON.stringify({ id: 'evt_\u0000x', type: 'charge.succeeded' });
    const header = new Stripe('sk_test_unused').webhooks.generateTestHeaderString({
      payload: body,
      secret: SECRET,
      timestamp: Math.floor(Date.now() / 1000),
    });
    const delivery = await ingress.deliver(res.body.status.endpointPath, body, {
      'content-type': 'application/json',
      'stripe-signature': header,
    });
    assert.equal(delivery.status, 400);
    assert.equal(delivery.body.error.code, 'event_id_invalid');
  });

  test('a malformed percent-encoding in the endpoint path is a 4xx', async () => {
    const res = await fetch(`${ingress.url}/v1/webhook-deliveries/%E0%A4%A`, { method: 'POST', body: '{}' });
    assert.equal(res.status, 400);
  });

  test('a start Temporal rejects is 400 "webhook task creation failed", with the detail only in status.lastError', async () => {
    const res = await ingress.api(
      'PUT',
      '/v1/webhooks/bad-start',
      webhookBody({
        profile: 'generic',
        secretRef: { name: 'hook-secret', key: 'value' },
        start: { workflowType: 'weeklyReport', taskQueue, workflowId: '{payload.id}' },
      }),
    );
    assert.equal(res.status, 201);
    // Temporal limits workflow ids to 1,000 bytes.
    const body = JSON.stringify({ id: 'x'.repeat(1500) });
    const eventId = `evt-${randomUUID()}`;
    const delivery = await ingress.deliver(res.body.status.endpointPath, body, genericHeaders(body, eventId));
    assert.equal(delivery.status, 400);
    assert.deepEqual(delivery.body, {
      error: { code: 'webhook_task_creation_failed', message: 'webhook task creation failed' },
    });
    const webhook = await ingress.api('GET', '/v1/webhooks/bad-start');
    assert.match(webhook.body.status.lastError, /start rejected by Temporal/);
    // The reservation was released: the same event, once fixed, is not a duplicate.
    const history = await ingress.api('GET', '/v1/webhooks/bad-start/deliveries');
    assert.equal(history.body.items[0].outcome, 'failed');
    const retry = await ingress.deliver(res.body.status.endpointPath, body, genericHeaders(body, eventId));
    assert.equal(retry.status, 400);
    assert.notEqual(retry.body.duplicate, true);
  });
});
