/**
 * Conformance of every built-in profile over real HTTP, against a real ingress, store and the
 * shared Temporal dev server (issue 3, "Verified by"). Deliveries are signed with the
 * provider's own npm library where one exists (@octokit/webhooks-methods, stripe,
 * standardwebhooks, twilio), else with the profile's `sign()`; Slack's and SendGrid's headers
 * are also checked against @slack/bolt's and @sendgrid/eventwebhook's verifiers. Per profile:
 * valid → 202 started, tampered body → 401 (GitLab: its token does not cover the body, so the
 * tampered body is accepted, as documented), wrong secret → 401, stale timestamp → 401 where a
 * timestamp is signed, replay → 202 duplicate, rotation (two secrets, signed with the new) → 202.
 * No worker polls the task queue: runs just wait there and time out after a minute.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { isValidSlackRequest } from '@slack/bolt';
import { EventWebhook } from '@sendgrid/eventwebhook';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import Stripe from 'stripe';
import twilio from 'twilio';
import { profileNames } from '../../src/verify';
import { fixtures, type ProfileFixture } from '../verify/fixtures';
import { createTestStore, type TestStore } from '../support/db';
import { secretBody, startTestIngress, webhookBody, type TestIngress } from '../support/ingress';
import { getTestTemporal, uniqueTaskQueue, type TestTemporal } from '../support/temporal';

const stripe = new Stripe('sk_test_unused');
// @octokit/webhooks-methods is ESM-only with an `import`-only export map.
const octokitSign = async (secret: string, payload: string): Promise<string> =>
  (await import('@octokit/webhooks-methods')).sign(secret, payload);

const nowSeconds = (): number => Math.floor(Date.now() / 1000);
const STALE_SECONDS = 3600;
/** Profiles whose signature covers a timestamp (Linear's is the body's webhookTimestamp). */
const SIGNS_TIMESTAMP = new Set([
  'generic',
  'stripe',
  'slack',
  'sendgrid',
  'standard-webhooks',
  'zoom',
  'discord',
  'linear',
]);
/** Profiles whose event id is read from the body, so each delivery's body carries a fresh one. */
const MARK = 'untampered';

interface Delivery {
  body: string;
  headers: Record<string, string>;
}

/** A body for `name` with a fresh event id where the id is in the body, and a byte to tamper with (MARK). */
function bodyFor(name: string, eventId: string, timestamp: number): string {
  switch (name) {
    case 'stripe':
      return JSON.stringify({ id: eventId, object: 'event', type: 'payment_intent.succeeded', note: MARK });
    case 'slack':
      return JSON.stringify({ type: 'event_callback', event_id: eventId, event: { type: 'app_mention', text: MARK } });
    case 'msteams':
      return JSON.stringify({ type: 'message', id: eventId, text: MARK });
    case 'sendgrid':
      return `[{"email":"a@example.com","event":"delivered","sg_event_id":"${eventId}","note":"${MARK}"}]\r\n`;
    case 'discord':
      return JSON.stringify({ id: eventId, type: 2, data: { name: MARK } });
    case 'zoom':
      return JSON.stringify({
        event: 'meeting.started',
        event_ts: timestamp * 1000,
        payload: { object: { id: eventId, topic: MARK } },
      });
    case 'linear':
      return JSON.stringify({ action: 'create', type: 'Issue', note: MARK, webhookTimestamp: timestamp * 1000 });
    case 'twilio':
      return new URLSearchParams({ MessageSid: `SM${eventId}`, From: '+15550002222', Body: MARK }).toString();
    default:
      return JSON.stringify({ id: eventId, note: MARK, text: 'Ünïcode ✓' });
  }
}

const contentTypeFor = (name: string): string =>
  name === 'twilio' ? 'application/x-www-form-urlencoded' : 'application/json';

/** One byte changed: `untampered` → `untamperee`. */
const tamper = (body: string): string => {
  const tampered = body.replace(MARK, `${MARK.slice(0, -1)}e`);
  assert.notEqual(tampered, body);
  assert.equal(Buffer.byteLength(tampered), Buffer.byteLength(body));
  return tampered;
};

/** Signs like the provider: with its own npm library where one exists, else with our profile's `sign()`. */
async function sign(
  f: ProfileFixture,
  secret: string,
  body: string,
  eventId: string,
  timestamp: number,
  url: string,
): Promise<Record<string, string>> {
  const name = f.profile.name;
  const base = { 'content-type': contentTypeFor(name) };
  switch (name) {
    case 'github':
      return {
        ...base,
        'x-github-event': 'push',
        'x-github-delivery': eventId,
        'x-hub-signature-256': await octokitSign(secret, body),
      };
    case 'stripe':
      return {
        ...base,
        'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp }),
      };
    case 'standard-webhooks':
      return {
        ...base,
        'webhook-id': eventId,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': new StandardWebhook(secret).sign(eventId, new Date(timestamp * 1000), body),
      };
    case 'twilio': {
      const params = Object.fromEntries(new URLSearchParams(body));
      return {
        ...base,
        'i-twilio-idempotency-token': eventId,
        'x-twilio-signature': twilio.getExpectedTwilioSignature(secret, url, params),
      };
    }
    default:
      return { ...base, ...f.profile.sign(secret, { rawBody: Buffer.from(body), eventId, timestamp, url }) };
  }
}

interface ProfileUnderTest {
  f: ProfileFixture;
  path: string;
  rotationPath: string;
  webhook: string;
}

describe('profile conformance over HTTP (every profile, signed by the provider library where one exists)', () => {
  let store: TestStore;
  let temporal: TestTemporal;
  let ingress: TestIngress;
  const taskQueue = uniqueTaskQueue('conformance');
  const run = randomBytes(3).toString('hex');
  const byName = new Map<string, ProfileUnderTest>();

  before(async () => {
    store = await createTestStore();
    temporal = await getTestTemporal();
    ingress = await startTestIngress(store, temporal.client);
    await Promise.all(
      fixtures.map(async (f) => {
        const name = f.profile.name;
        const secret = `conf-${name}`;
        const put = await ingress.api(
          'PUT',
          `/v1/secrets/${secret}`,
          secretBody({ current: f.secret, old: f.otherSecret, unrelated: `${f.otherSecret}-never-used` }),
        );
        assert.equal(put.status, 201, JSON.stringify(put.body));
        const start = { workflowType: 'weeklyReport', taskQueue, workflowExecutionTimeout: '60s' };
        // SendGrid documents no tolerance: one applies only when the spec sets it.
        const tolerance = name === 'sendgrid' ? { timestampTolerance: 300 } : {};
        const webhook = `conf-${name}-${run}`;
        const one = await ingress.api(
          'PUT',
          `/v1/webhooks/${webhook}`,
          webhookBody({ profile: name, secretRef: { name: secret, key: 'current' }, start, ...tolerance }),
        );
        assert.equal(one.status, 201, JSON.stringify(one.body));
        const rotated = await ingress.api(
          'PUT',
          `/v1/webhooks/conf-${name}-rot-${run}`,
          webhookBody({
            profile: name,
            secretRef: [
              { name: secret, key: 'old' },
              { name: secret, key: 'current' },
            ],
            start,
            ...tolerance,
          }),
        );
        assert.equal(rotated.status, 201, JSON.stringify(rotated.body));
        byName.set(name, {
          f,
          path: one.body.status.endpointPath,
          rotationPath: rotated.body.status.endpointPath,
          webhook,
        });
      }),
    );
  });

  after(async () => {
    await ingress?.close();
    await store?.dropSchema();
  });

  test('the fixtures cover all 15 profiles', () => {
    assert.deepEqual([...byName.keys()].sort(), [...profileNames].sort());
    assert.equal(profileNames.length, 15);
  });

  /** A delivery to `path` signed with `secret`, with a fresh event id unless one is given. */
  async function delivery(
    p: ProfileUnderTest,
    path: string,
    options: { secret?: string; eventId?: string; timestamp?: number } = {},
  ): Promise<Delivery & { eventId: string }> {
    const eventId = options.eventId ?? `evt-${randomUUID()}`;
    const timestamp = options.timestamp ?? nowSeconds();
    const body = bodyFor(p.f.profile.name, eventId, timestamp);
    const headers = await sign(p.f, options.secret ?? p.f.signingSecret, body, eventId, timestamp, ingress.url + path);
    return { body, headers, eventId };
  }

  function assertStarted(res: { status: number; body: any }, label: string) {
    assert.equal(res.status, 202, `${label}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.accepted, true, label);
    assert.equal(res.body.duplicate, false, label);
    assert.match(res.body.runId, /^[0-9a-f-]{36}$/, label);
  }

  for (const name of fixtures.map((f) => f.profile.name)) {
    test(`${name}: valid 202 · tampered · wrong secret · stale · replay duplicate · rotation`, async () => {
      const p = byName.get(name)!;

      // Valid, then the very same request again: a duplicate naming the same run.
      const valid = await delivery(p, p.path);
      if (name === 'slack') {
        const slackHeaders = {
          'x-slack-signature': valid.headers['x-slack-signature']!,
          'x-slack-request-timestamp': Number(valid.headers['x-slack-request-timestamp']),
        };
        assert.equal(
          isValidSlackRequest({ signingSecret: p.f.signingSecret, body: valid.body, headers: slackHeaders }),
          true,
          "@slack/bolt's verifier accepts the signature",
        );
      }
      if (name === 'sendgrid') {
        const eventWebhook = new EventWebhook();
        const key = eventWebhook.convertPublicKeyToECDSA(p.f.secret);
        const signature = valid.headers['x-twilio-email-event-webhook-signature']!;
        const timestamp = valid.headers['x-twilio-email-event-webhook-timestamp']!;
        assert.equal(
          eventWebhook.verifySignature(key, valid.body, signature, timestamp),
          true,
          "@sendgrid/eventwebhook's verifier accepts the signature",
        );
      }
      const first = await ingress.deliver(p.path, valid.body, valid.headers);
      assertStarted(first, 'valid');
      const replay = await ingress.deliver(p.path, valid.body, valid.headers);
      assert.equal(replay.status, 202, `replay: ${JSON.stringify(replay.body)}`);
      assert.equal(replay.body.duplicate, true);
      assert.equal(replay.body.runId, first.body.runId);
      assert.equal(replay.body.workflowId, first.body.workflowId);

      // One byte of the body changed.
      const fresh = await delivery(p, p.path);
      const tampered = await ingress.deliver(p.path, tamper(fresh.body), fresh.headers);
      if (p.f.signsBody === false) {
        // GitLab's X-Gitlab-Token is a shared token: it authenticates the sender, not the bytes.
        assertStarted(tampered, 'gitlab tampered body (token does not cover the body)');
      } else {
        assert.equal(tampered.status, 401, `tampered: ${JSON.stringify(tampered.body)}`);
        assert.match(tampered.body.error.code, /^signature_/);
      }

      // Signed with a secret (or private key) the webhook does not hold.
      const wrong = await delivery(p, p.path, { secret: p.f.otherSigningSecret });
      const wrongRes = await ingress.deliver(p.path, wrong.body, wrong.headers);
      assert.equal(wrongRes.status, 401, `wrong secret: ${JSON.stringify(wrongRes.body)}`);
      assert.match(wrongRes.body.error.code, /^signature_/);

      // Signed an hour ago.
      if (SIGNS_TIMESTAMP.has(name)) {
        const stale = await delivery(p, p.path, { timestamp: nowSeconds() - STALE_SECONDS });
        const staleRes = await ingress.deliver(p.path, stale.body, stale.headers);
        assert.equal(staleRes.status, 401, `stale: ${JSON.stringify(staleRes.body)}`);
        assert.equal(staleRes.body.error.code, 'timestamp_out_of_tolerance');
      }

      // Rotation: the webhook lists [old, current]; the sender already signs with the current one, or still with the old.
      const rotatedNew = await delivery(p, p.rotationPath);
      assertStarted(await ingress.deliver(p.rotationPath, rotatedNew.body, rotatedNew.headers), 'rotation, new secret');
      const rotatedOld = await delivery(p, p.rotationPath, { secret: p.f.otherSigningSecret });
      assertStarted(await ingress.deliver(p.rotationPath, rotatedOld.body, rotatedOld.headers), 'rotation, old secret');

      // Nothing failed into a 5xx along the way, and the started run is the one Temporal holds.
      const description = await temporal.client.workflow.getHandle(first.body.workflowId, first.body.runId).describe();
      assert.equal(description.taskQueue, taskQueue);
      const history = await ingress.api('GET', `/v1/webhooks/${p.webhook}/deliveries?limit=20`);
      assert.equal(history.status, 200);
      assert.ok(
        history.body.items.every((d: any) => d.httpStatus === null || d.httpStatus < 500),
        JSON.stringify(history.body.items),
      );
    });
  }

  describe('handshakes', () => {
    test('Slack url_verification → 200 echoing the challenge', async () => {
      const p = byName.get('slack')!;
      const body = JSON.stringify({
        token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl',
        challenge: 'challenge-3eZbrw1aBm2rZgRNFdxV',
        type: 'url_verification',
      });
      const headers = await sign(p.f, p.f.signingSecret, body, 'unused', nowSeconds(), ingress.url + p.path);
      const res = await ingress.deliver(p.path, body, headers);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      assert.deepEqual(res.body, { challenge: 'challenge-3eZbrw1aBm2rZgRNFdxV' });
      const unsigned = await ingress.deliver(p.path, body, { ...headers, 'x-slack-signature': `v0=${'0'.repeat(64)}` });
      assert.equal(unsigned.status, 401);
    });

    test('Zoom endpoint.url_validation → 200 with plainToken and encryptedToken', async () => {
      const p = byName.get('zoom')!;
      const plainToken = `plain-${randomUUID()}`;
      const body = JSON.stringify({ event: 'endpoint.url_validation', payload: { plainToken }, event_ts: Date.now() });
      const headers = await sign(p.f, p.f.signingSecret, body, 'unused', nowSeconds(), ingress.url + p.path);
      const res = await ingress.deliver(p.path, body, headers);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body, {
        plainToken,
        encryptedToken: createHmac('sha256', p.f.secret).update(plainToken).digest('hex'),
      });
    });

    test('Discord PING → {"type":1}, only when signed', async () => {
      const p = byName.get('discord')!;
      const body = '{"type":1}';
      const headers = await sign(p.f, p.f.signingSecret, body, 'unused', nowSeconds(), ingress.url + p.path);
      const res = await ingress.deliver(p.path, body, headers);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { type: 1 });
      const probe = await sign(p.f, p.f.otherSigningSecret, body, 'unused', nowSeconds(), ingress.url + p.path);
      assert.equal((await ingress.deliver(p.path, body, probe)).status, 401);
    });
  });
});
