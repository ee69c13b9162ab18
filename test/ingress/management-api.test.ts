/** The management API over real HTTP with a real store: auth, validation, endpoints, secrets never returned. */
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestStore } from '../support/db';
import {
  genericDeliveryHeaders,
  secretBody,
  startTestIngress,
  webhookBody,
  type TestIngress,
} from '../support/ingress';
import { getTestTemporal } from '../support/temporal';
import { profileNames } from '../../src/verify';

const SECRET_VALUE = 'do-not-leak-this-value-123';
const spec = (extra: Record<string, unknown> = {}) => ({
  profile: 'generic',
  secretRef: { name: 'api-secret', key: 'value' },
  start: { workflowType: 'weeklyReport', taskQueue: 'api-test' },
  ...extra,
});

describe('management API', () => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  let ingress: TestIngress;

  before(async () => {
    store = await createTestStore();
    ingress = await startTestIngress(store, (await getTestTemporal()).client);
  });
  after(async () => {
    await ingress?.close();
    await store?.dropSchema();
    await store?.close();
  });

  test('every /v1 route needs the admin token', async () => {
    for (const [method, path] of [
      ['GET', '/v1/webhooks'],
      ['PUT', '/v1/secrets/x'],
      ['GET', '/v1/webhooks/x/deliveries'],
      ['DELETE', '/v1/webhooks/x'],
    ] as const) {
      const res = await fetch(ingress.url + path, { method });
      assert.equal(res.status, 401, `${method} ${path}`);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="tempohook"');
      const wrong = await fetch(ingress.url + path, {
        method,
        headers: { authorization: 'Bearer wrong-token-wrong-token' },
      });
      assert.equal(wrong.status, 401);
    }
  });

  test('a secret goes in and only its keys come out', async () => {
    const created = await ingress.api(
      'PUT',
      '/v1/secrets/api-secret',
      secretBody({ value: SECRET_VALUE, other: 'x-other-value' }),
    );
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.status.keys, ['other', 'value']);
    const updated = await ingress.api('PUT', '/v1/secrets/api-secret', secretBody({ value: SECRET_VALUE }));
    assert.equal(updated.status, 200);
    const one = await ingress.api('GET', '/v1/secrets/api-secret');
    const list = await ingress.api('GET', '/v1/secrets');
    for (const body of [created.body, updated.body, one.body, list.body]) {
      assert.doesNotMatch(JSON.stringify(body), /do-not-leak|x-other-value/);
    }
    assert.deepEqual(one.body.status.keys, ['value']);
    const base64 = await ingress.api('PUT', '/v1/secrets/b64', {
      apiVersion: 'tempohook.dev/v1',
      kind: 'Secret',
      spec: { data: { key: Buffer.from('bytes').toString('base64') } },
    });
    assert.equal(base64.status, 201);
  });

  test('a webhook gets a random endpoint that is stable across re-applies; a new name gets a new one', async () => {
    const first = await ingress.api('PUT', '/v1/webhooks/stable', webhookBody(spec()));
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.match(first.body.status.endpointPath, /^\/v1\/webhook-deliveries\/[A-Za-z0-9_-]{32,}$/);
    assert.equal(first.body.status.verified, false);
    assert.equal(first.body.status.lastError, null);
    const again = await ingress.api('PUT', '/v1/webhooks/stable', webhookBody(spec({ dedupWindow: '1h' })));
    assert.equal(again.status, 200);
    assert.equal(again.body.status.endpointPath, first.body.status.endpointPath);
    assert.equal(again.body.spec.dedupWindow, '1h');
    const other = await ingress.api('PUT', '/v1/webhooks/stable-2', webhookBody(spec()));
    assert.notEqual(other.body.status.endpointPath, first.body.status.endpointPath);
    const otherNamespace = await ingress.api('PUT', '/v1/webhooks/stable?namespace=team-b', webhookBody(spec()));
    assert.equal(otherNamespace.status, 201);
    assert.equal(otherNamespace.body.metadata.namespace, 'team-b');

    const list = await ingress.api('GET', '/v1/webhooks?namespace=default');
    assert.deepEqual(list.body.items.map((w: any) => w.metadata.name).sort(), ['stable', 'stable-2']);
    assert.equal((await ingress.api('DELETE', '/v1/webhooks/stable-2')).status, 200);
    assert.equal((await ingress.api('GET', '/v1/webhooks/stable-2')).status, 404);
    assert.equal((await ingress.api('DELETE', '/v1/webhooks/stable-2')).status, 404);
    const deleted = await fetch(ingress.url + other.body.status.endpointPath, { method: 'POST', body: '{}' });
    assert.equal(deleted.status, 404);
  });

  test('a bad resource is 400 with the field path and what is wrong', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [webhookBody({ ...spec(), profile: 'nope' }), /spec\.profile: unknown profile; use one of: .*generic.*github/],
      [webhookBody({ ...spec(), start: { workflowType: 'weeklyReport' } }), /spec\.start\.taskQueue/],
      [webhookBody({ ...spec(), dedupWindow: 'a week' }), /spec\.dedupWindow: must be a duration/],
      [
        webhookBody({ ...spec(), start: { workflowType: 'w', taskQueue: 'q', workflowId: '{deliveryId}' } }),
        /spec\.start\.workflowId: must not use \{deliveryId\}/,
      ],
      [
        webhookBody({ ...spec(), start: { workflowType: 'w', taskQueue: 'q', workflowId: '{nope}' } }),
        /unknown placeholder \{nope\}/,
      ],
      [
        webhookBody({ ...spec(), start: { workflowType: 'w', taskQueue: 'q', input: { webhook_payload: 1 } } }),
        /reserved for tempohook/,
      ],
      [webhookBody({ ...spec(), unknownField: 1 }), /spec: Unrecognized key/i],
      [{ ...webhookBody(spec()), kind: 'Secret' }, /invalid_resource|Invalid/],
      [{ ...webhookBody(spec()), metadata: { name: 'other' } }, /metadata\.name "other" differs/],
    ];
    for (const [body, pattern] of cases) {
      const res = await ingress.api('PUT', '/v1/webhooks/bad', body);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.match(res.body.error.message, pattern);
    }
    const badName = await ingress.api('PUT', '/v1/webhooks/Bad_Name', webhookBody(spec()));
    assert.equal(badName.status, 400);
    assert.equal(badName.body.error.code, 'invalid_name');
    const notJson = await fetch(ingress.url + '/v1/webhooks/bad', {
      method: 'PUT',
      headers: { authorization: 'Bearer test-admin-token-0123456789', 'content-type': 'application/json' },
      body: '{',
    });
    assert.equal(notJson.status, 400);
    assert.equal(((await notJson.json()) as any).error.code, 'invalid_json');
  });

  test('the delivery history is newest first and paginated', async () => {
    await ingress.api('PUT', '/v1/secrets/api-secret', secretBody({ value: SECRET_VALUE }));
    const webhook = await ingress.api('PUT', '/v1/webhooks/paged', webhookBody(spec()));
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) {
      // Rejected deliveries are history too, and need no Temporal run.
      const eventId = `evt-${i}-${randomUUID()}`;
      const body = JSON.stringify({ i });
      const res = await ingress.deliver(
        webhook.body.status.endpointPath,
        body,
        genericDeliveryHeaders(body, eventId, { secret: 'wrong' }),
      );
      assert.equal(res.status, 401);
      sent.push(eventId);
    }
    const page1 = await ingress.api('GET', '/v1/webhooks/paged/deliveries?limit=2');
    assert.equal(page1.body.items.length, 2);
    assert.ok(page1.body.nextCursor);
    const page2 = await ingress.api(
      'GET',
      `/v1/webhooks/paged/deliveries?limit=2&cursor=${encodeURIComponent(page1.body.nextCursor)}`,
    );
    const page3 = await ingress.api(
      'GET',
      `/v1/webhooks/paged/deliveries?limit=2&cursor=${encodeURIComponent(page2.body.nextCursor)}`,
    );
    const all = [...page1.body.items, ...page2.body.items, ...page3.body.items];
    assert.equal(all.length, 5);
    assert.equal(page3.body.nextCursor, null);
    for (const item of all) {
      assert.equal(item.outcome, 'rejected');
      assert.equal(item.httpStatus, 401);
      assert.match(item.reason, /signature_mismatch/);
    }
    const times = all.map((d: any) => Date.parse(d.receivedAt));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
    );
    const status = await ingress.api('GET', '/v1/webhooks/paged');
    assert.equal(status.body.status.deliveriesRejected, 5);
    const badCursor = await ingress.api('GET', '/v1/webhooks/paged/deliveries?cursor=garbage');
    assert.equal(badCursor.status, 400);
  });

  test('GET /v1/profiles lists every signing profile, then custom, which verifies nothing itself', async () => {
    const res = await ingress.api('GET', '/v1/profiles');
    assert.equal(res.status, 200);
    const names = res.body.items.map((p: any) => p.name);
    assert.deepEqual(names, [...profileNames, 'custom']);
    const custom = res.body.items.find((p: any) => p.name === 'custom');
    assert.equal(custom.verifiesSignature, false);
    assert.ok(res.body.items.filter((p: any) => p.name !== 'custom').every((p: any) => p.verifiesSignature === true));
    assert.equal(res.body.items.find((p: any) => p.name === 'stripe').defaultTimestampToleranceSeconds, 300);
  });

  test('health and readiness answer without a token', async () => {
    assert.equal((await fetch(ingress.url + '/healthz')).status, 200);
    const ready = await fetch(ingress.url + '/readyz');
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { ok: true, store: true, temporal: true });
  });
});
