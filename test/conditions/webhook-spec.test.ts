/** spec.conditions in the Webhook schema: profile `custom` needs a condition and may omit secretRef; others keep needing it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { webhookSpec } from '../../src/resources/schemas';
import { getProfile } from '../../src/verify';

const start = { workflowType: 'w', taskQueue: 'q' };
const jwt = { type: 'jwt', algorithms: ['HS256'], secretRef: { name: 'jwt', key: 'secret' } };

test('profile custom with a condition needs no secretRef', () => {
  assert.equal(webhookSpec.safeParse({ profile: 'custom', conditions: [jwt], start }).success, true);
});

test('profile custom without an authenticating condition is refused with a clear message', () => {
  for (const conditions of [undefined, [{ type: 'timestamp', lookup: { in: 'header', name: 'X-Timestamp' }, toleranceSeconds: 300 }]]) {
    const parsed = webhookSpec.safeParse({ profile: 'custom', conditions, start });
    assert.equal(parsed.success, false);
    assert.match(JSON.stringify(parsed.error.issues), /profile \\"custom\\" verifies no signature itself/);
  }
});

test('other profiles still require secretRef, and accept extra conditions', () => {
  const missing = webhookSpec.safeParse({ profile: 'github', start });
  assert.equal(missing.success, false);
  assert.deepEqual(missing.error.issues[0]!.path, ['secretRef']);
  assert.equal(webhookSpec.safeParse({ profile: 'github', secretRef: { name: 'a', key: 'b' }, conditions: [{ type: 'headers', headers: { 'X-Tenant': 'acme' } }], start }).success, true);
});

test('malformed conditions are refused', () => {
  for (const bad of [[], [{ type: 'nope' }], [{ ...jwt, algorithms: ['none'] }], [{ ...jwt, algorithms: ['HS384'] }], [{ type: 'headers', headers: {} }], [{ type: 'headers', headers: { 'bad header': 'x' } }]]) {
    assert.equal(webhookSpec.safeParse({ profile: 'custom', conditions: bad, start }).success, false, JSON.stringify(bad));
  }
});

test('the custom profile verifies nothing itself and reads common event id headers', () => {
  const custom = getProfile('custom')!;
  const req = (headers: Record<string, string>) => ({ rawBody: Buffer.from('{}'), headers, url: 'https://x/', receivedAt: new Date() });
  assert.deepEqual(custom.verify(req({}), []), { ok: true });
  assert.equal(custom.eventId(req({ 'idempotency-key': 'k1' }), undefined), 'k1');
  assert.equal(custom.eventId(req({ 'webhook-id': 'w1' }), undefined), 'w1');
  assert.equal(custom.eventId(req({}), undefined), undefined);
  assert.equal(custom.defaultDedupWindowSeconds, 24 * 3600);
});
