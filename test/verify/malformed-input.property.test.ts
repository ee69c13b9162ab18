/**
 * Property: for every profile, 10,000 random malformed requests (real header names with random
 * values, random bytes and invalid UTF-8 as bodies, odd URLs and clocks) never make `verify`
 * or `challenge` throw, and never verify.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { InboundRequest } from '../../src/verify';
import { at, fixtures, NOW, type ProfileFixture } from './fixtures';

const RUNS_PER_PROFILE = 10_000;

const HEADER_NAMES = [
  'x-signature',
  'x-timestamp',
  'x-event-id',
  'x-event-type',
  'x-hub-signature-256',
  'x-hub-signature',
  'x-github-delivery',
  'x-github-event',
  'stripe-signature',
  'x-slack-signature',
  'x-slack-request-timestamp',
  'authorization',
  'x-twilio-email-event-webhook-signature',
  'x-twilio-email-event-webhook-timestamp',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'svix-id',
  'svix-timestamp',
  'svix-signature',
  'x-gitlab-token',
  'idempotency-key',
  'x-gitlab-webhook-uuid',
  'x-gitlab-event',
  'x-shopify-hmac-sha256',
  'shopify-hmac-sha256',
  'x-shopify-webhook-id',
  'x-shopify-topic',
  'x-twilio-signature',
  'i-twilio-idempotency-token',
  'x-zm-signature',
  'x-zm-request-timestamp',
  'x-signature-ed25519',
  'x-signature-timestamp',
  'linear-signature',
  'linear-delivery',
  'linear-event',
  'x-pagerduty-signature',
  'x-webhook-id',
  'x-request-uuid',
  'x-event-key',
  'content-type',
];

const hex = fc.stringMatching(/^[0-9a-fA-F]{0,140}$/);
// Well-formed signatures of every genuine length, so that comparison paths run, not only parsing.
const wellFormed = fc
  .tuple(fc.constantFrom(20, 32, 64, 71), fc.constantFrom('hex' as const, 'base64' as const))
  .chain(([length, encoding]) =>
    fc.uint8Array({ minLength: length, maxLength: length }).map((bytes) => Buffer.from(bytes).toString(encoding)),
  );
const signatureLike = fc.oneof(
  wellFormed,
  hex,
  fc.base64String({ maxLength: 120 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constant('é'.repeat(64)),
);
const entry = fc
  .tuple(fc.constantFrom('sha256=', 'sha1=', 'v0=', 'v1=', 'v1,', 'v1a,', 'HMAC ', 't=', ''), signatureLike)
  .map(([prefix, value]) => prefix + value);
const headerValue = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.stringMatching(/^\d{0,20}$/),
  fc.constant(String(NOW)),
  entry,
  fc.array(entry, { maxLength: 5 }).map((entries) => entries.join(',')),
  fc.array(entry, { maxLength: 5 }).map((entries) => entries.join(' ')),
  fc.tuple(fc.stringMatching(/^\d{0,12}$/), signatureLike).map(([t, v]) => `t=${t},v1=${v}`),
);
const headerName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HEADER_NAMES) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);
const headers = fc.dictionary(headerName, fc.option(headerValue, { nil: undefined }), { maxKeys: 12 });

const INVALID_UTF8 = Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc, 0xff, 0xfe]);
const body = fc.oneof(
  fc.uint8Array({ maxLength: 600 }).map((bytes) => Buffer.from(bytes)),
  fc
    .constantFrom(
      '{"type":1}',
      '{"type":"url_verification","challenge":"c"}',
      '{"event":"endpoint.url_validation","payload":{"plainToken":"p"}}',
      'ssl_check=1',
      `{"webhookTimestamp":${NOW * 1000}}`,
      '[{"sg_event_id":"x"}]\r\n',
      'payload=%7B%22trigger_id%22%3A1',
      '',
    )
    .map((text) => Buffer.from(text)),
  fc.json().map((text) => Buffer.from(text)),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.concat([Buffer.from(bytes), INVALID_UTF8])),
);
const urls = fc.oneof(
  fc.webUrl({ withQueryParameters: true }),
  fc.string(),
  fc.constant('https://example.com/hook?bodySHA256=zz'),
  fc.constant('http://[::1:80/x'),
);
const receivedAt = fc.oneof(fc.date(), fc.constant(new Date(Number.NaN)), fc.constant(at(NOW)), fc.constant(at(NOW)));
const options = fc.option(
  fc.record({
    timestampToleranceSeconds: fc.oneof(fc.double(), fc.constant(Infinity), fc.constant(Number.NaN), fc.constant(300)),
  }),
  { nil: undefined },
);

/**
 * Headers aimed at one profile: its genuine header set with each value kept or replaced, and
 * the signature header always replaced (well-formed or not), so that parsing, timestamp and
 * comparison paths all run while no request can carry a genuine signature.
 */
function headersFor(f: ProfileFixture): fc.Arbitrary<Record<string, string | undefined>> {
  const genuine = f.profile.sign(f.signingSecret, {
    rawBody: Buffer.from(f.body(NOW)),
    eventId: 'evt-1',
    timestamp: NOW,
    url: f.url ?? 'https://x.test/',
  });
  const own = fc.record(
    Object.fromEntries(
      Object.entries(genuine).map(([name, value]) => [name, fc.oneof(fc.constant(value), headerValue)]),
    ),
  );
  const length = f.signatureBytes ?? 71;
  const shapedLikeGenuine =
    f.encoding === 'utf8'
      ? fc.string({ minLength: 1 })
      : fc.uint8Array({ minLength: length, maxLength: length }).map((bytes) => Buffer.from(bytes).toString(f.encoding));
  const signature = fc.oneof(
    { weight: 1, arbitrary: headerValue },
    { weight: 1, arbitrary: signatureLike.map((value) => f.formatSignature(value, NOW)) },
    { weight: 3, arbitrary: shapedLikeGenuine.map((value) => f.formatSignature(value, NOW)) },
  );
  const aimed = fc
    .tuple(headers, own, signature)
    .map(([extra, kept, value]) => ({ ...extra, ...kept, [f.signatureHeader]: value }));
  return fc.oneof({ weight: 1, arbitrary: headers }, { weight: 3, arbitrary: aimed });
}

for (const f of fixtures) {
  test(`verify(${f.profile.name}) never throws and never passes on ${RUNS_PER_PROFILE} malformed requests`, () => {
    const secret = fc.oneof(fc.string(), fc.base64String(), fc.constant(f.secret), fc.constant(f.otherSecret));
    const anyBody = fc.oneof(body, fc.constant(Buffer.from(f.body(NOW))));
    const url = fc.oneof(urls, fc.constant(f.url ?? 'https://x.test/'));
    fc.assert(
      fc.property(
        headersFor(f),
        anyBody,
        url,
        receivedAt,
        fc.array(secret, { maxLength: 3 }),
        options,
        (h, rawBody, u, time, secrets, opts) => {
          const req: InboundRequest = { rawBody, headers: h, url: u, receivedAt: time };
          // A shared token equal to the header is, correctly, a pass: skip that one coincidence.
          if (f.profile.name === 'gitlab')
            fc.pre(!secrets.some((s) => s.replace(/[\r\n]/g, '') === h['x-gitlab-token']?.trim()));
          const result = f.profile.verify(req, secrets, opts);
          assert.equal(result.ok, false);
          if (!result.ok) {
            for (const s of secrets)
              if (s.length >= 8) assert.ok(!result.reason.includes(s), 'a reason never carries a secret');
          }
          f.profile.challenge?.(req, undefined, secrets, opts);
          f.profile.eventId(req, undefined);
          f.profile.sourceEvent(req, undefined);
        },
      ),
      { numRuns: RUNS_PER_PROFILE },
    );
  });
}
