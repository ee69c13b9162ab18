/** spec.conditions in the Webhook schema: profile `custom` needs a condition and may omit secretRef; others keep needing it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeWindow, rateLimitWindows } from '../../src/conditions';
import { webhookSpec } from '../../src/resources/schemas';
import { getProfile } from '../../src/verify';

const start = { workflowType: 'w', taskQueue: 'q' };
const jwt = { type: 'jwt', algorithms: ['HS256'], secretRef: { name: 'jwt', key: 'secret' } };

test('profile custom with a condition needs no secretRef', () => {
  assert.equal(webhookSpec.safeParse({ profile: 'custom', conditions: [jwt], start }).success, true);
});

test('profile custom without an authenticating condition is refused with a clear message', () => {
  const rateLimit = { type: 'rate-limit', limits: [{ period: '1m', quota: 10 }] };
  for (const conditions of [
    undefined,
    [{ type: 'timestamp', lookup: { in: 'header', name: 'X-Timestamp' }, toleranceSeconds: 300 }],
    [rateLimit],
  ]) {
    const parsed = webhookSpec.safeParse({ profile: 'custom', conditions, start });
    assert.equal(parsed.success, false);
    assert.match(JSON.stringify(parsed.error.issues), /profile \\"custom\\" verifies no signature itself/);
  }
});

test('other profiles still require secretRef, and accept extra conditions', () => {
  const missing = webhookSpec.safeParse({ profile: 'github', start });
  assert.equal(missing.success, false);
  assert.deepEqual(missing.error.issues[0]!.path, ['secretRef']);
  assert.equal(
    webhookSpec.safeParse({
      profile: 'github',
      secretRef: { name: 'a', key: 'b' },
      conditions: [{ type: 'headers', headers: { 'X-Tenant': 'acme' } }],
      start,
    }).success,
    true,
  );
});

test('malformed conditions are refused', () => {
  for (const bad of [
    [],
    [{ type: 'nope' }],
    [{ ...jwt, algorithms: ['none'] }],
    [{ ...jwt, algorithms: ['HS384'] }],
    [{ type: 'headers', headers: {} }],
    [{ type: 'headers', headers: { 'bad header': 'x' } }],
  ]) {
    assert.equal(
      webhookSpec.safeParse({ profile: 'custom', conditions: bad, start }).success,
      false,
      JSON.stringify(bad),
    );
  }
});

test('rate-limit takes several windows as durations; rateLimit is the same condition', () => {
  const parsed = webhookSpec.parse({
    profile: 'custom',
    conditions: [
      jwt,
      {
        type: 'rate-limit',
        limits: [
          { period: '1s', quota: 10 },
          { period: '1h', quota: 1000 },
        ],
      },
      { type: 'rateLimit', limits: [{ period: 86400, quota: 5000 }] },
    ],
    start,
  });
  assert.deepEqual(rateLimitWindows(parsed.conditions), [
    { periodSeconds: 1, quota: 10 },
    { periodSeconds: 3600, quota: 1000 },
    { periodSeconds: 86400, quota: 5000 },
  ]);
  // The tightest quota wins when two conditions name the same period.
  const twice = webhookSpec.parse({
    profile: 'custom',
    conditions: [
      jwt,
      { type: 'rate-limit', limits: [{ period: '1m', quota: 9 }] },
      { type: 'rate-limit', limits: [{ period: 60, quota: 5 }] },
    ],
    start,
  });
  assert.deepEqual(rateLimitWindows(twice.conditions), [{ periodSeconds: 60, quota: 5 }]);
  assert.equal(describeWindow({ periodSeconds: 60, quota: 5 }), '5 per 1m');
});

test('malformed rate limits are refused', () => {
  for (const limits of [
    [],
    [{ period: '1m' }],
    [{ period: '1m', quota: 0 }],
    [{ period: '500ms', quota: 1 }],
    [{ period: '1.5s', quota: 1 }],
    [{ period: '60d', quota: 1 }],
    [
      { period: '1m', quota: 1 },
      { period: 60, quota: 2 },
    ],
    [{ period: '1m', quota: 1, burst: 3 }],
  ]) {
    const parsed = webhookSpec.safeParse({
      profile: 'custom',
      conditions: [jwt, { type: 'rate-limit', limits }],
      start,
    });
    assert.equal(parsed.success, false, JSON.stringify(limits));
  }
});

test('the custom profile verifies nothing itself and reads common event id headers', () => {
  const custom = getProfile('custom')!;
  const req = (headers: Record<string, string>) => ({
    rawBody: Buffer.from('{}'),
    headers,
    url: 'https://x/',
    receivedAt: new Date(),
  });
  assert.deepEqual(custom.verify(req({}), []), { ok: true });
  assert.equal(custom.eventId(req({ 'idempotency-key': 'k1' }), undefined), 'k1');
  assert.equal(custom.eventId(req({ 'webhook-id': 'w1' }), undefined), 'w1');
  assert.equal(custom.eventId(req({}), undefined), undefined);
  assert.equal(custom.defaultDedupWindowSeconds, 24 * 3600);
});
