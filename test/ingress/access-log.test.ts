/**
 * One access log line per delivery — accepted, refused (401), unknown endpoint — with webhook,
 * event id, outcome, status, duration and request id; `X-Request-Id` honoured when plausible,
 * generated otherwise, and echoed. Never a secret or a signature.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/logger';
import { createTestStore } from '../support/db';
import { applyGenericWebhook, genericDeliveryHeaders, startTestIngress, type TestIngress } from '../support/ingress';
import { getTestTemporal, uniqueTaskQueue } from '../support/temporal';

const SECRET = 'access-log-secret-never-logged-7f3e';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('the delivery access log', () => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  let ingress: TestIngress;
  let endpointPath: string;
  const lines: string[] = [];
  const accessLines = () => lines.map((l) => JSON.parse(l)).filter((l) => l.log === 'access');

  before(async () => {
    store = await createTestStore();
    const temporal = await getTestTemporal();
    const logger = createLogger({ level: 'info', write: (line) => lines.push(line) });
    ingress = await startTestIngress(store, temporal.client, { logger });
    endpointPath = await applyGenericWebhook(ingress, 'logged', {
      secretName: 'log-secret',
      secret: SECRET,
      taskQueue: uniqueTaskQueue('access-log'),
    });
  });
  after(async () => {
    await ingress?.close();
    await store?.dropSchema();
  });

  /** Posts a delivery and returns the answer and the one access line it produced. */
  async function deliver(headers: Record<string, string>, body: string, path = endpointPath) {
    const before = accessLines().length;
    const res = await ingress.deliver(path, body, headers);
    const added = accessLines().slice(before);
    assert.equal(added.length, 1, 'one access line per delivery');
    return { res, line: added[0] };
  }

  test('an accepted delivery: webhook, event id, outcome, status, duration, delivery and workflow ids; the caller’s request id echoed', async () => {
    const body = JSON.stringify({ ok: true });
    const eventId = `evt-${randomUUID()}`;
    const { res, line } = await deliver(
      { ...genericDeliveryHeaders(body, eventId, { secret: SECRET }), 'x-request-id': 'req-abc.123' },
      body,
    );
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.headers.get('x-request-id'), 'req-abc.123');
    assert.equal(line.msg, 'delivery');
    assert.equal(line.level, 'info');
    assert.equal(line.requestId, 'req-abc.123');
    assert.equal(line.webhook, 'default/logged');
    assert.equal(line.eventId, eventId);
    assert.equal(line.outcome, 'started');
    assert.equal(line.status, 202);
    assert.equal(line.deliveryId, res.body.deliveryId);
    assert.equal(line.workflowId, res.body.workflowId);
    assert.ok(typeof line.durationMs === 'number' && line.durationMs > 0);
  });

  test('a bad signature (401) is logged with its code; a missing or implausible request id is replaced by a UUID', async () => {
    const body = JSON.stringify({ ok: false });
    const headers = genericDeliveryHeaders(body, 'evt-forged', { secret: 'not-the-secret' });
    const { res, line } = await deliver({ ...headers, 'x-request-id': 'has spaces and "quotes"' }, body);
    assert.equal(res.status, 401);
    const echoed = res.headers.get('x-request-id')!;
    assert.match(echoed, UUID);
    assert.equal(line.requestId, echoed);
    assert.equal(line.outcome, 'rejected');
    assert.equal(line.status, 401);
    assert.equal(line.code, 'signature_mismatch');
    assert.equal(line.webhook, 'default/logged');

    const long = await deliver({ ...headers, 'x-request-id': 'a'.repeat(129) }, body);
    assert.match(long.res.headers.get('x-request-id')!, UUID);
    const none = await deliver(headers, body);
    assert.match(none.line.requestId, UUID);
    assert.notEqual(none.line.requestId, long.line.requestId);
  });

  test('an unknown endpoint is logged by its (bounded) endpoint id as not_found', async () => {
    const { res, line } = await deliver(
      { 'content-type': 'application/json' },
      '{}',
      '/v1/webhook-deliveries/whk_nope',
    );
    assert.equal(res.status, 404);
    assert.equal(line.outcome, 'not_found');
    assert.equal(line.status, 404);
    assert.equal(line.endpointId, 'whk_nope');
    assert.match(res.headers.get('x-request-id')!, UUID);
  });

  test('management answers carry a request id too', async () => {
    const res = await fetch(`${ingress.url}/healthz`, { headers: { 'x-request-id': 'probe-1' } });
    assert.equal(res.headers.get('x-request-id'), 'probe-1');
  });

  test('no log line holds the secret or a signature', () => {
    const all = lines.join('\n');
    assert.ok(!all.includes(SECRET));
    assert.ok(!/sha256=[0-9a-f]{64}/.test(all));
  });
});
