/** Pure parts of outbound notifications: matching, signing, the address guard, status classes. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { parseRetryAfter, postJson } from '../../src/outbound/http-sender';
import {
  createOutboundGuard,
  OutboundRefusedError,
  parseOutboundAllow,
  refuseLiteralHost,
} from '../../src/outbound/outbound-guard';
import { classifyStatus } from '../../src/outbound/send-notification';
import { signatureHeaders } from '../../src/outbound/sign-notification';
import {
  DEFAULT_RETRY,
  deliveryTarget,
  eventMatches,
  matchSubscriptions,
  type ResolvedSubscription,
} from '../../src/outbound/subscriptions';
import { subscriptionSpec } from '../../src/resources/subscription-schema';
import type { NotificationEnvelope } from '../../src/workflows/notification-definitions';

const envelope = (type: string, workflowType = 'orderFlow'): NotificationEnvelope => ({
  id: 'evt_1',
  type,
  timestamp: '2026-11-23T12:00:00.000Z',
  workflow: { namespace: 'default', id: 'wf', runId: 'run', type: workflowType, taskQueue: 'q', attempt: 1 },
  data: { activityType: 'charge' },
});

const sub = (name: string, spec: Record<string, unknown>): ResolvedSubscription => ({
  key: `default/${name}`,
  name,
  namespace: 'default',
  source: 'api',
  spec: subscriptionSpec.parse(spec),
});

describe('matchSubscriptions', () => {
  test('event patterns: *, exact types, prefixes', () => {
    assert.ok(eventMatches(['*'], 'step.completed'));
    assert.ok(eventMatches(['step.*'], 'step.failed'));
    assert.ok(!eventMatches(['step.*'], 'stepper.failed'));
    assert.ok(eventMatches(['workflow.completed'], 'workflow.completed'));
    assert.ok(!eventMatches(['workflow.completed'], 'workflow.completed.extra'));
  });

  test('the narrowest scope wins per URL, even when it does not want the event', () => {
    const global = sub('global', { url: 'https://a.example/hook' });
    const typed = sub('typed', {
      url: 'https://a.example/hook',
      events: ['workflow.completed'],
      scope: { workflowType: 'orderFlow' },
    });
    const elsewhere = sub('elsewhere', { url: 'https://b.example/hook' });
    const names = (e: NotificationEnvelope, runs: string[] = []) =>
      matchSubscriptions([global, typed, elsewhere], e, runs, new Set()).map((s) => s.name);
    assert.deepEqual(names(envelope('step.completed')), ['elsewhere']);
    assert.deepEqual(names(envelope('workflow.completed')), ['typed', 'elsewhere']);
    assert.deepEqual(names(envelope('step.completed', 'other')), ['global', 'elsewhere']);
    const run = sub('run', { url: 'https://a.example/hook', events: ['step.*'], scope: 'run' });
    assert.deepEqual(
      matchSubscriptions([global, typed, run], envelope('step.completed'), ['run'], new Set()).map((s) => s.name),
      ['run'],
    );
    assert.deepEqual(
      matchSubscriptions([global, typed, run], envelope('step.completed'), ['default/run'], new Set()).map(
        (s) => s.name,
      ),
      ['run'],
    );
  });

  test('disabled, paused and filtered-out subscriptions get nothing', () => {
    const filtered = sub('filtered', {
      url: 'https://c.example/',
      filters: [{ path: '$.data.activityType', equals: 'refund' }],
    });
    const paused = sub('paused', { url: 'https://d.example/', enabled: false });
    const disabled = sub('disabled', { url: 'https://e.example/' });
    const kept = sub('kept', { url: 'https://f.example/', filters: [{ path: '$.workflow.type', matches: '^order' }] });
    assert.deepEqual(
      matchSubscriptions(
        [filtered, paused, disabled, kept],
        envelope('step.completed'),
        [],
        new Set(['default/disabled']),
      ).map((s) => s.name),
      ['kept'],
    );
  });

  test('delivery targets: defaults retry for about a day, 10 s per attempt', () => {
    const target = deliveryTarget(sub('d', { url: 'https://a.example/' }));
    assert.equal(target.timeoutMs, 10_000);
    assert.deepEqual(target.retry, DEFAULT_RETRY);
    let total = 0;
    for (
      let attempt = 1, interval = DEFAULT_RETRY.initialIntervalMs;
      attempt < DEFAULT_RETRY.maximumAttempts;
      attempt++, interval *= DEFAULT_RETRY.backoffCoefficient
    ) {
      total += Math.min(interval, DEFAULT_RETRY.maximumIntervalMs);
    }
    assert.ok(total > 20 * 3600_000 && total < 30 * 3600_000, `retries span ${(total / 3600_000).toFixed(1)} h`);
    const custom = deliveryTarget(
      sub('c', { url: 'https://a.example/', timeout: '2s', retry: { maximumAttempts: 3, initialInterval: '500ms' } }),
    );
    assert.equal(custom.timeoutMs, 2000);
    assert.deepEqual(custom.retry, { ...DEFAULT_RETRY, maximumAttempts: 3, initialIntervalMs: 500 });
  });
});

describe('signatureHeaders', () => {
  const message = {
    id: 'evt_abc',
    timestampSeconds: Math.floor(Date.now() / 1000),
    body: '{"type":"workflow.completed"}',
  };
  test('standard-webhooks: one v1 signature per secret, each verified by the standardwebhooks package', () => {
    const secrets = [
      `whsec_${Buffer.from('first-key').toString('base64')}`,
      `whsec_${Buffer.from('second-key').toString('base64')}`,
    ];
    const headers = signatureHeaders('standard-webhooks', secrets, message);
    assert.equal(headers['webhook-signature']!.split(' ').length, 2);
    for (const s of secrets)
      assert.deepEqual(new Webhook(s).verify(message.body, headers), { type: 'workflow.completed' });
    assert.throws(() => new Webhook(`whsec_${Buffer.from('other').toString('base64')}`).verify(message.body, headers));
  });
  test('hmac-sha256-hex: sha256=<hex> of "{timestamp}.{body}" per secret', () => {
    const headers = signatureHeaders('hmac-sha256-hex', ['one', 'two'], message);
    const hex = (k: string) =>
      createHmac('sha256', k).update(`${message.timestampSeconds}.${message.body}`).digest('hex');
    assert.equal(headers['x-tempohook-signature'], `sha256=${hex('one')},sha256=${hex('two')}`);
    assert.equal(headers['x-tempohook-timestamp'], String(message.timestampSeconds));
  });
  test('no secret: no signature header, ids still sent', () => {
    assert.deepEqual(Object.keys(signatureHeaders('standard-webhooks', [], message)).sort(), [
      'webhook-id',
      'webhook-timestamp',
    ]);
  });
});

describe('outbound guard', () => {
  test('refuses loopback, private, link-local, unique-local and unspecified addresses; allows public ones', () => {
    const guard = createOutboundGuard(undefined);
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '::1',
      'fc00::1',
      'fe80::1',
      '0.0.0.0',
      '::ffff:127.0.0.1',
      '100.64.0.1',
    ]) {
      assert.ok(guard.refusal('h', address), `${address} refused`);
    }
    for (const address of ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'])
      assert.equal(guard.refusal('h', address), undefined);
  });
  test('TEMPOHOOK_OUTBOUND_ALLOW takes CIDRs, addresses and host names, and rejects anything else', () => {
    const guard = createOutboundGuard('10.0.0.0/8, 127.0.0.1, hooks.internal');
    assert.equal(guard.refusal('x', '10.9.9.9'), undefined);
    assert.equal(guard.refusal('x', '127.0.0.1'), undefined);
    assert.ok(guard.refusal('x', '127.0.0.2'));
    assert.equal(guard.refusal('hooks.internal', '192.168.0.5'), undefined);
    assert.throws(() => parseOutboundAllow('10.0.0.0/8, not a host!'), /not a CIDR/);
  });
  test('the lookup hook refuses a name that resolves to loopback, and IP literals are checked before connecting', async () => {
    const guard = createOutboundGuard(undefined);
    const err = await new Promise<Error | null>((resolve) => guard.lookup('localhost', {}, (e) => resolve(e)));
    assert.ok(err instanceof OutboundRefusedError, String(err));
    assert.throws(() => refuseLiteralHost(guard, new URL('http://[::1]:8080/')), OutboundRefusedError);
    assert.throws(
      () => refuseLiteralHost(guard, new URL('http://169.254.169.254/latest/meta-data')),
      /link-local|linkLocal/,
    );
  });
});

describe('answers', () => {
  test('2xx succeeds; 4xx except 408 and 429 is final; the rest is retried', () => {
    assert.equal(classifyStatus(204), 'succeeded');
    assert.equal(classifyStatus(410), 'final');
    assert.equal(classifyStatus(400), 'final');
    assert.equal(classifyStatus(408), 'retry');
    assert.equal(classifyStatus(429), 'retry');
    assert.equal(classifyStatus(500), 'retry');
    assert.equal(classifyStatus(301), 'retry');
  });
  test('Retry-After in seconds or as an HTTP date', () => {
    assert.equal(parseRetryAfter('120'), 120_000);
    assert.ok((parseRetryAfter(new Date(Date.now() + 60_000).toUTCString(), Date.now()) ?? 0) > 58_000);
    assert.equal(parseRetryAfter('soon'), undefined);
  });
});

describe('postJson connections', () => {
  /** A receiver on 127.0.0.1 that counts connections; `drop(n)` says which request numbers it kills unanswered. */
  async function receiver(drop: (n: number) => boolean = () => false) {
    let connections = 0;
    let requests = 0;
    const server = http.createServer((req, res) => {
      const n = ++requests;
      req.resume();
      req.on('end', () => (drop(n) ? req.socket.destroy() : res.end('ok')));
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    return {
      url,
      counts: () => ({ connections, requests }),
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }
  const guard = createOutboundGuard('127.0.0.1');
  const post = (url: string) => postJson({ url, body: '{}', headers: {}, timeoutMs: 2_000, guard });

  test('sequential POSTs to one receiver reuse one kept-alive connection', async () => {
    const r = await receiver();
    try {
      for (let i = 0; i < 5; i++) assert.equal((await post(r.url)).httpStatus, 200);
      assert.deepEqual(r.counts(), { connections: 1, requests: 5 });
    } finally {
      await r.close();
    }
  });

  test('a kept-alive socket the receiver drops is retried once on a new connection', async () => {
    const r = await receiver((n) => n === 2);
    try {
      assert.equal((await post(r.url)).httpStatus, 200);
      assert.equal((await post(r.url)).httpStatus, 200, 'the reset reused socket is sent again');
      assert.deepEqual(r.counts(), { connections: 2, requests: 3 });
    } finally {
      await r.close();
    }
  });

  test('a reset on a fresh connection is an error, not a silent resend', async () => {
    const r = await receiver(() => true);
    try {
      await assert.rejects(post(r.url));
      assert.deepEqual(r.counts(), { connections: 1, requests: 1 });
    } finally {
      await r.close();
    }
  });
});
