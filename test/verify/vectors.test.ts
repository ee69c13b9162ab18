/**
 * Known-answer vectors from the providers' docs and libraries (/work/shared/provider-vectors.json
 * and providers.md), pinned as exact wire strings both ways: `verify` accepts them and `sign`
 * reproduces them byte for byte.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { getProfile, withTwilioBodyHash, type Profile } from '../../src/verify';
import { at, ED25519_RFC8032_SEED, inbound } from './fixtures';

const vectors = JSON.parse(readFileSync('/work/shared/provider-vectors.json', 'utf8')) as {
  github: string;
  github_sha1_legacy: string;
  stripe: string;
  std: string;
  teams: string;
  teams_keylen: number;
  zoom_sig: string;
  zoom_url_validation: { plainToken: string; encryptedToken: string };
  linear: string;
  pagerduty: string;
  bitbucket: string;
  shopify: string;
  twilio_form: string;
  twilio_json: { bodySHA256: string; sig: string };
  discord: { publicKeyHex: string; timestamp: string; body: string; sigHex: string };
};

const profile = (name: string): Profile => getProfile(name)!;

function signFor(
  name: string,
  secret: string,
  body: string,
  { timestamp = 0, eventId = 'unused', url = 'https://x.test/' } = {},
) {
  return profile(name).sign(secret, { rawBody: Buffer.from(body), timestamp, eventId, url });
}

test('generic: X-Signature is sha256=<hex HMAC-SHA256(secret, "{X-Timestamp}.{body}")>', () => {
  const expected = 'sha256=106ff3548af4321fa8775bf78ebae12bc62934029e5c22ffb5b134fbfb0f8f64';
  const headers = signFor('generic', 'generic-secret', '{"id":"ord_1"}', { timestamp: 1700000000, eventId: 'ord_1' });
  assert.deepEqual(headers, { 'x-signature': expected, 'x-timestamp': '1700000000', 'x-event-id': 'ord_1' });
  const req = inbound('{"id":"ord_1"}', headers, { receivedAt: at(1700000000) });
  assert.deepEqual(profile('generic').verify(req, ['generic-secret']), { ok: true });
});

test("github: GitHub's documented vector", () => {
  const body = 'Hello, World!';
  const secret = "It's a Secret to Everybody";
  assert.deepEqual(profile('github').verify(inbound(body, { 'x-hub-signature-256': vectors.github }), [secret]), {
    ok: true,
  });
  assert.equal(signFor('github', secret, body)['x-hub-signature-256'], vectors.github);
});

test('github: the legacy SHA-1 X-Hub-Signature alone is not accepted (no downgrade)', () => {
  const req = inbound('Hello, World!', { 'x-hub-signature': vectors.github_sha1_legacy });
  const result = profile('github').verify(req, ["It's a Secret to Everybody"]);
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.code, 'signature_missing');
});

test('stripe: the stripe-node vector, key = the whole whsec_ string', () => {
  const body = '{"id":"evt_1","object":"event"}';
  const req = inbound(body, { 'stripe-signature': vectors.stripe }, { receivedAt: at(1700000000) });
  assert.deepEqual(profile('stripe').verify(req, ['whsec_test_secret']), { ok: true });
  assert.equal(
    signFor('stripe', 'whsec_test_secret', body, { timestamp: 1700000000 })['stripe-signature'],
    vectors.stripe,
  );
});

test("slack: the signing example from Slack's docs (a slash command form post)", () => {
  const body =
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
  const signature = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
  const secret = '8f742231b10e8888abcd99yyyzzz85a5';
  const req = inbound(
    body,
    { 'x-slack-signature': signature, 'x-slack-request-timestamp': '1531420618' },
    { receivedAt: at(1531420618) },
  );
  assert.deepEqual(profile('slack').verify(req, [secret]), { ok: true });
  assert.equal(signFor('slack', secret, body, { timestamp: 1531420618 })['x-slack-signature'], signature);
  assert.equal(profile('slack').eventId(req, undefined), '398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c');
  assert.equal(profile('slack').sourceEvent(req, undefined), '/webhook-collect');
});

test('msteams: base64-decoded 32-byte key, Authorization: HMAC <base64>', () => {
  const key = 'vqF0En+Z0ucuRTM/01o2GuhMH3hKKk/N2bOmlM31zaA=';
  const body = '{"type":"message","text":"<at>Bot</at> hi"}';
  assert.equal(Buffer.from(key, 'base64').length, vectors.teams_keylen);
  assert.deepEqual(profile('msteams').verify(inbound(body, { authorization: vectors.teams }), [key]), { ok: true });
  assert.equal(signFor('msteams', key, body).authorization, vectors.teams);
  // The token used as a UTF-8 string (the common mistake) does not verify.
  const asText = profile('msteams').verify(inbound(body, { authorization: vectors.teams }), ['not base64!']);
  assert.equal(!asText.ok && asText.code, 'secret_invalid');
});

test("sendgrid: the official vector from @sendgrid/eventwebhook's spec (trailing CRLF signed)", () => {
  const publicKey =
    'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==';
  const signature = 'MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM=';
  const events = [
    {
      email: 'hello@world.com',
      event: 'dropped',
      reason: 'Bounced Address',
      sg_event_id: 'ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA',
      sg_message_id: 'LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0',
      'smtp-id': '<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>',
      timestamp: 1600112492,
    },
  ];
  const body = JSON.stringify(events) + '\r\n';
  const headers = {
    'x-twilio-email-event-webhook-signature': signature,
    'x-twilio-email-event-webhook-timestamp': '1600112502',
  };
  const sendgrid = profile('sendgrid');
  assert.deepEqual(sendgrid.verify(inbound(body, headers), [publicKey]), { ok: true });
  const pem = `-----BEGIN PUBLIC KEY-----\n${publicKey}\n-----END PUBLIC KEY-----\n`;
  assert.deepEqual(sendgrid.verify(inbound(body, headers), [pem]), { ok: true }, 'a PEM public key works too');
  const withoutCrlf = sendgrid.verify(inbound(JSON.stringify(events), headers), [publicKey]);
  assert.equal(!withoutCrlf.ok && withoutCrlf.code, 'signature_mismatch');
  assert.equal(
    sendgrid.eventId(inbound(body, headers), undefined),
    'ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA',
  );
  assert.equal(sendgrid.sourceEvent(inbound(body, headers), events), 'dropped');
});

test('standard-webhooks: the spec vector, under webhook-* and svix-* names', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const body = '{"test": 2432232314}';
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const std = profile('standard-webhooks');
  const webhook = { 'webhook-id': id, 'webhook-timestamp': '1614265330', 'webhook-signature': vectors.std };
  const svix = { 'svix-id': id, 'svix-timestamp': '1614265330', 'svix-signature': vectors.std };
  for (const headers of [webhook, svix]) {
    assert.deepEqual(std.verify(inbound(body, headers, { receivedAt: at(1614265330) }), [secret]), { ok: true });
    assert.equal(std.eventId(inbound(body, headers), undefined), id);
  }
  assert.deepEqual(signFor('standard-webhooks', secret, body, { timestamp: 1614265330, eventId: id }), webhook);
  const noPrefix = std.verify(inbound(body, webhook, { receivedAt: at(1614265330) }), [secret.slice('whsec_'.length)]);
  assert.deepEqual(noPrefix, { ok: true }, 'the whsec_ prefix is optional, as in the reference library');
});

test('standard-webhooks: a header of several entries passes when any v1 matches; v1a and junk are skipped', () => {
  const headers = {
    'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    'webhook-timestamp': '1614265330',
    'webhook-signature': `v1a,AAAA v1,${Buffer.alloc(32).toString('base64')} garbage ${vectors.std}`,
  };
  const req = inbound('{"test": 2432232314}', headers, { receivedAt: at(1614265330) });
  assert.deepEqual(profile('standard-webhooks').verify(req, ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw']), { ok: true });
});

test('zoom: the computed signature and url_validation vectors', () => {
  const body = '{"event":"meeting.started","payload":{}}';
  const req = inbound(
    body,
    { 'x-zm-signature': vectors.zoom_sig, 'x-zm-request-timestamp': '1700000000' },
    { receivedAt: at(1700000000) },
  );
  assert.deepEqual(profile('zoom').verify(req, ['zoom_secret_token']), { ok: true });
  assert.equal(
    signFor('zoom', 'zoom_secret_token', body, { timestamp: 1700000000 })['x-zm-signature'],
    vectors.zoom_sig,
  );
});

test('discord: the RFC 8032 key signs the vector exactly, and the hex seed is accepted by sign()', () => {
  const { publicKeyHex, timestamp, body, sigHex } = vectors.discord;
  const headers = { 'x-signature-ed25519': sigHex, 'x-signature-timestamp': timestamp };
  assert.deepEqual(
    profile('discord').verify(inbound(body, headers, { receivedAt: at(Number(timestamp)) }), [publicKeyHex]),
    { ok: true },
  );
  assert.deepEqual(signFor('discord', ED25519_RFC8032_SEED, body, { timestamp: Number(timestamp) }), headers);
});

test('linear: the computed vector; the time is the body webhookTimestamp in ms', () => {
  const body = '{"action":"create","type":"Issue","webhookTimestamp":1700000000000}';
  const linear = profile('linear');
  assert.deepEqual(
    linear.verify(inbound(body, { 'linear-signature': vectors.linear }, { receivedAt: at(1700000000) }), [
      'lin_wh_secret',
    ]),
    { ok: true },
  );
  assert.equal(signFor('linear', 'lin_wh_secret', body)['linear-signature'], vectors.linear);
  const late = linear.verify(inbound(body, { 'linear-signature': vectors.linear }, { receivedAt: at(1700000061) }), [
    'lin_wh_secret',
  ]);
  assert.equal(!late.ok && late.code, 'timestamp_out_of_tolerance', '±60 s');
  const early = linear.verify(inbound(body, { 'linear-signature': vectors.linear }, { receivedAt: at(1699999939) }), [
    'lin_wh_secret',
  ]);
  assert.equal(!early.ok && early.code, 'timestamp_out_of_tolerance', 'both directions');
});

test("pagerduty: the computed vector, alone and beside another secret's entry", () => {
  const body = '{"event":{"id":"01","event_type":"incident.triggered"}}';
  const pd = profile('pagerduty');
  assert.deepEqual(pd.verify(inbound(body, { 'x-pagerduty-signature': vectors.pagerduty }), ['pd_secret']), {
    ok: true,
  });
  const twoEntries = `v1=${'0'.repeat(64)},${vectors.pagerduty}`;
  assert.deepEqual(pd.verify(inbound(body, { 'x-pagerduty-signature': twoEntries }), ['pd_secret']), { ok: true });
  assert.equal(signFor('pagerduty', 'pd_secret', body)['x-pagerduty-signature'], vectors.pagerduty);
  assert.equal(pd.sourceEvent(inbound(body, {}), undefined), 'incident.triggered');
});

test('bitbucket: the computed vector', () => {
  const req = inbound('{"push":{}}', { 'x-hub-signature': vectors.bitbucket });
  assert.deepEqual(profile('bitbucket').verify(req, ['bb_secret']), { ok: true });
  assert.equal(signFor('bitbucket', 'bb_secret', '{"push":{}}')['x-hub-signature'], vectors.bitbucket);
});

test('shopify: the getHmac vector, under the classic and the unprefixed header names', () => {
  for (const name of ['x-shopify-hmac-sha256', 'shopify-hmac-sha256']) {
    assert.deepEqual(profile('shopify').verify(inbound('{"id":1}', { [name]: vectors.shopify }), ['shop-secret']), {
      ok: true,
    });
  }
  assert.equal(signFor('shopify', 'shop-secret', '{"id":1}')['x-shopify-hmac-sha256'], vectors.shopify);
});

test("twilio: the docs' form-post vector", () => {
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const body = 'CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030&To=%2B18005551212';
  assert.deepEqual(
    profile('twilio').verify(inbound(body, { 'x-twilio-signature': vectors.twilio_form }, { url }), ['12345']),
    { ok: true },
  );
  assert.equal(signFor('twilio', '12345', body, { url })['x-twilio-signature'], vectors.twilio_form);
});

test('twilio: the JSON vector, signed over the URL carrying bodySHA256', () => {
  const body = '{"property": "value", "boolean": true}';
  const url = withTwilioBodyHash('https://mycompany.com/myapp.php', Buffer.from(body));
  assert.equal(url, `https://mycompany.com/myapp.php?bodySHA256=${vectors.twilio_json.bodySHA256}`);
  const twilio = profile('twilio');
  assert.deepEqual(
    twilio.verify(inbound(body, { 'x-twilio-signature': vectors.twilio_json.sig }, { url }), ['12345']),
    { ok: true },
  );
  assert.equal(signFor('twilio', '12345', body, { url })['x-twilio-signature'], vectors.twilio_json.sig);
  const swapped = twilio.verify(
    inbound('{"property": "other", "boolean": true}', { 'x-twilio-signature': vectors.twilio_json.sig }, { url }),
    ['12345'],
  );
  assert.equal(!swapped.ok && swapped.code, 'signature_mismatch', 'a body that does not hash to bodySHA256 fails');
});
