/** spec.conditions over real HTTP: a `custom` webhook authenticated by a JWT, and a `github` webhook with an extra headers condition. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { startIngressFixture, type IngressFixture } from '../support/fixture';
import { secretBody, webhookBody, type TestIngress } from '../support/ingress';
import { uniqueTaskQueue } from '../support/temporal';

const JWT_SECRET = 'jwt-shared-secret-0123456789abcdef';
const SLACK_SECRET = 'slack-signing-secret-for-conditions';
const QUERY_TOKEN = 'tenant-token-0123456789';
/** Slack's v0 scheme (checked against @slack/bolt's verifier in the profile conformance tests). */
const slackHeaders = (body: string) => {
  const timestamp = Math.floor(Date.now() / 1000);
  return {
    'content-type': 'application/json',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': `v0=${createHmac('sha256', SLACK_SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`,
  };
};
const GITHUB_SECRET = 'github-secret-for-conditions';
const octokitSign = async (secret: string, payload: string): Promise<string> =>
  (await import('@octokit/webhooks-methods')).sign(secret, payload);
const jwtFor = (secret: string, expiresAt = Math.floor(Date.now() / 1000) + 300) =>
  new SignJWT({ sub: 'ci' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('https://ci.example')
    .setIssuedAt()
    .setExpirationTime(expiresAt)
    .sign(new TextEncoder().encode(secret));

describe('spec.conditions at the delivery endpoint', () => {
  let temporal: IngressFixture['temporal'];
  let ingress: TestIngress;
  let fixture: IngressFixture;
  const taskQueue = uniqueTaskQueue('conditions');
  let customPath: string;
  let githubPath: string;

  before(async () => {
    fixture = await startIngressFixture(taskQueue);
    ({ temporal, ingress } = fixture);
    assert.equal((await ingress.api('PUT', '/v1/secrets/ci-jwt', secretBody({ secret: JWT_SECRET }))).status, 201);
    assert.equal((await ingress.api('PUT', '/v1/secrets/gh', secretBody({ value: GITHUB_SECRET }))).status, 201);
    assert.equal(
      (await ingress.api('PUT', '/v1/secrets/slack', secretBody({ signing: SLACK_SECRET, token: QUERY_TOKEN }))).status,
      201,
    );
    const custom = await ingress.api(
      'PUT',
      '/v1/webhooks/ci-jobs',
      webhookBody({
        profile: 'custom',
        conditions: [
          {
            type: 'jwt',
            algorithms: ['HS256'],
            issuer: 'https://ci.example',
            secretRef: { name: 'ci-jwt', key: 'secret' },
          },
        ],
        start: { workflowType: 'weeklyReport', taskQueue },
      }),
    );
    assert.equal(custom.status, 201, JSON.stringify(custom.body));
    customPath = custom.body.status.endpointPath;
    const github = await ingress.api(
      'PUT',
      '/v1/webhooks/gh-tenant',
      webhookBody({
        profile: 'github',
        secretRef: { name: 'gh', key: 'value' },
        conditions: [{ type: 'headers', headers: { 'X-Tenant': 'acme' } }],
        start: { workflowType: 'weeklyReport', taskQueue },
      }),
    );
    assert.equal(github.status, 201, JSON.stringify(github.body));
    githubPath = github.body.status.endpointPath;
  });

  after(async () => {
    await fixture?.close();
  });

  test('a custom webhook without a JWT condition is refused at apply time', async () => {
    const res = await ingress.api(
      'PUT',
      '/v1/webhooks/unguarded',
      webhookBody({ profile: 'custom', start: { workflowType: 'weeklyReport', taskQueue } }),
    );
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.match(JSON.stringify(res.body), /verifies no signature itself/);
  });

  test('a custom webhook with a valid JWT starts a run', async () => {
    const eventId = `evt-${randomUUID()}`;
    const res = await ingress.deliver(customPath, JSON.stringify({ job: 1 }), {
      'content-type': 'application/json',
      'x-event-id': eventId,
      authorization: `Bearer ${await jwtFor(JWT_SECRET)}`,
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.duplicate, false);
    assert.equal(res.body.workflowId, `default/ci-jobs/${eventId}`);
    const result = await temporal.client.workflow.getHandle(res.body.workflowId, res.body.runId).result();
    assert.equal(result.eventId, eventId);
  });

  test('a bad, expired or missing JWT is a 401 that starts nothing, and the history says why', async () => {
    const cases = [
      { token: await jwtFor('not-the-secret-0123456789abcdef'), reason: /signature does not verify/ },
      { token: await jwtFor(JWT_SECRET, Math.floor(Date.now() / 1000) - 120), reason: /token expired/ },
      { token: undefined, reason: /header Authorization missing/ },
    ];
    for (const { token, reason } of cases) {
      const eventId = `evt-${randomUUID()}`;
      const res = await ingress.deliver(customPath, '{}', {
        'content-type': 'application/json',
        'x-event-id': eventId,
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      });
      assert.equal(res.status, 401, JSON.stringify(res.body));
      assert.match(res.body.error.code, /^condition_/);
      assert.match(res.body.error.message, reason);
      if (token) assert.ok(!JSON.stringify(res.body).includes(token), 'the token is never echoed');
      const history = await ingress.api('GET', '/v1/webhooks/ci-jobs/deliveries?limit=20');
      const row = history.body.items.find((d: any) => d.eventId === eventId);
      assert.equal(row?.outcome, 'rejected');
      assert.equal(row?.httpStatus, 401);
      assert.match(row?.reason ?? '', reason);
      assert.ok(!JSON.stringify(history.body).includes(JWT_SECRET), 'the secret is never in the history');
    }
  });

  test('a github webhook with a headers condition needs both the signature and the header', async () => {
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const signed = async (extra: Record<string, string>, secret = GITHUB_SECRET) => ({
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': await octokitSign(secret, body),
      ...extra,
    });
    const both = await ingress.deliver(githubPath, body, await signed({ 'x-tenant': 'acme' }));
    assert.equal(both.status, 202, JSON.stringify(both.body));
    const noHeader = await ingress.deliver(githubPath, body, await signed({}));
    assert.equal(noHeader.status, 401);
    assert.equal(noHeader.body.error.code, 'condition_value_missing');
    const wrongHeader = await ingress.deliver(githubPath, body, await signed({ 'x-tenant': 'globex' }));
    assert.equal(wrongHeader.status, 401);
    assert.equal(wrongHeader.body.error.code, 'condition_mismatch');
    const badSignature = await ingress.deliver(githubPath, body, await signed({ 'x-tenant': 'acme' }, 'wrong-secret'));
    assert.equal(badSignature.status, 401);
    assert.equal(badSignature.body.error.code, 'signature_mismatch');
  });
  test('conditions hold for handshakes too, and a rate limit counts only deliveries', async () => {
    const slack = await ingress.api(
      'PUT',
      '/v1/webhooks/slack-tenant',
      webhookBody({
        profile: 'slack',
        secretRef: { name: 'slack', key: 'signing' },
        conditions: [
          { type: 'static-token', lookup: { in: 'query', name: 'token' }, secretRef: { name: 'slack', key: 'token' } },
          { type: 'rate-limit', limits: [{ period: '7d', quota: 1 }] },
        ],
        start: { workflowType: 'weeklyReport', taskQueue },
      }),
    );
    assert.equal(slack.status, 201, JSON.stringify(slack.body));
    const path: string = slack.body.status.endpointPath;
    const handshake = JSON.stringify({ type: 'url_verification', challenge: 'challenge-xyz', token: 'legacy' });

    const withoutToken = await ingress.deliver(path, handshake, slackHeaders(handshake));
    assert.equal(withoutToken.status, 401, JSON.stringify(withoutToken.body));
    assert.equal(withoutToken.body.error.code, 'condition_value_missing');
    const wrongToken = await ingress.deliver(`${path}?token=nope`, handshake, slackHeaders(handshake));
    assert.equal(wrongToken.status, 401);
    assert.equal(wrongToken.body.error.code, 'condition_mismatch');
    for (let i = 0; i < 3; i++) {
      const answered = await ingress.deliver(`${path}?token=${QUERY_TOKEN}`, handshake, slackHeaders(handshake));
      assert.equal(answered.status, 200, JSON.stringify(answered.body));
      assert.deepEqual(answered.body, { challenge: 'challenge-xyz' });
    }

    const event = (id: string) =>
      JSON.stringify({ type: 'event_callback', event_id: id, event: { type: 'app_mention' } });
    const first = event(`Ev${randomUUID()}`);
    assert.equal((await ingress.deliver(`${path}?token=${QUERY_TOKEN}`, first, slackHeaders(first))).status, 202);
    const second = event(`Ev${randomUUID()}`);
    const limited = await ingress.deliver(`${path}?token=${QUERY_TOKEN}`, second, slackHeaders(second));
    assert.equal(limited.status, 429, JSON.stringify(limited.body));
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  });
});
