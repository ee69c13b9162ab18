/**
 * Round trips against the providers' own npm libraries: what they sign, we accept; what we
 * sign, they accept. Times are the real clock because several libraries read it themselves.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isValidSlackRequest, verifySlackRequest } from '@slack/bolt';
import { EventWebhook } from '@sendgrid/eventwebhook';
import { verifyKey } from 'discord-interactions';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { Webhook as SvixWebhook } from 'svix';
import twilio from 'twilio';
import { getProfile, withTwilioBodyHash, type Profile } from '../../src/verify';
import { inbound, keys } from './fixtures';

const profile = (name: string): Profile => getProfile(name)!;
const nowSeconds = (): number => Math.floor(Date.now() / 1000);
const body = '{"id":"evt_42","type":"thing.happened","text":"héllo ✓","n":12345678901234567890}';

function ourHeaders(name: string, secret: string, payload = body, url = 'https://hooks.example.com/in') {
  return profile(name).sign(secret, {
    rawBody: Buffer.from(payload),
    eventId: 'msg_2K1',
    timestamp: nowSeconds(),
    url,
  });
}

describe('github × @octokit/webhooks-methods', () => {
  test('octokit sign() → our verify', async () => {
    const { sign } = await import('@octokit/webhooks-methods');
    const signature = await sign('octo-secret', body);
    assert.deepEqual(profile('github').verify(inbound(body, { 'x-hub-signature-256': signature }), ['octo-secret']), {
      ok: true,
    });
  });

  test('our sign() → octokit verify(), with and without fallback secrets', async () => {
    const { verify, verifyWithFallback } = await import('@octokit/webhooks-methods');
    const signature = ourHeaders('github', 'octo-secret')['x-hub-signature-256']!;
    assert.equal(await verify('octo-secret', body, signature), true);
    assert.equal(await verifyWithFallback('old-secret', body, signature, ['octo-secret']), true);
    assert.equal(await verify('wrong', body, signature), false);
  });

  test('bitbucket writes the same sha256=<hex> format: octokit sign() → verify(bitbucket)', async () => {
    const { sign } = await import('@octokit/webhooks-methods');
    const req = inbound(body, { 'x-hub-signature': await sign('bb_secret', body) });
    assert.deepEqual(profile('bitbucket').verify(req, ['bb_secret']), { ok: true });
  });
});

describe('stripe × stripe-node', () => {
  const stripe = new Stripe('sk_test_unused');

  test('generateTestHeaderString → our verify', () => {
    const header = stripe.webhooks.generateTestHeaderString({
      payload: body,
      secret: 'whsec_abc',
      timestamp: nowSeconds(),
    });
    assert.deepEqual(
      profile('stripe').verify(inbound(body, { 'stripe-signature': header }, { receivedAt: new Date() }), [
        'whsec_abc',
      ]),
      { ok: true },
    );
  });

  test('our sign() → constructEvent', () => {
    const header = ourHeaders('stripe', 'whsec_abc')['stripe-signature']!;
    const event = stripe.webhooks.constructEvent(body, header, 'whsec_abc');
    assert.equal((event as { id: string }).id, 'evt_42');
  });

  test('a rolled secret: two v1 entries and a v0, any v1 matching passes (both libraries agree)', () => {
    const t = nowSeconds();
    const oldV1 = stripe.webhooks
      .generateTestHeaderString({ payload: body, secret: 'whsec_old', timestamp: t })
      .split(',')[1];
    const newV1 = stripe.webhooks
      .generateTestHeaderString({ payload: body, secret: 'whsec_new', timestamp: t })
      .split(',')[1];
    const header = `t=${t},${oldV1},${newV1},v0=${'0'.repeat(64)}`;
    for (const secret of ['whsec_old', 'whsec_new']) {
      assert.ok(stripe.webhooks.constructEvent(body, header, secret));
      assert.deepEqual(
        profile('stripe').verify(inbound(body, { 'stripe-signature': header }, { receivedAt: new Date() }), [secret]),
        { ok: true },
      );
    }
  });

  test('only v0 is never enough (no downgrade)', () => {
    const t = nowSeconds();
    const v0Only = stripe.webhooks.generateTestHeaderString({
      payload: body,
      secret: 'whsec_abc',
      timestamp: t,
      scheme: 'v0',
    });
    assert.throws(() => stripe.webhooks.constructEvent(body, v0Only, 'whsec_abc'));
    const result = profile('stripe').verify(inbound(body, { 'stripe-signature': v0Only }, { receivedAt: new Date() }), [
      'whsec_abc',
    ]);
    assert.equal(!result.ok && result.code, 'signature_malformed');
  });

  test('future t passes and too-old t fails, as in stripe-node', () => {
    const t = nowSeconds();
    const future = stripe.webhooks.generateTestHeaderString({
      payload: body,
      secret: 'whsec_abc',
      timestamp: t + 3600,
    });
    assert.ok(stripe.webhooks.constructEvent(body, future, 'whsec_abc'));
    assert.deepEqual(
      profile('stripe').verify(inbound(body, { 'stripe-signature': future }, { receivedAt: new Date(t * 1000) }), [
        'whsec_abc',
      ]),
      { ok: true },
    );
    const old = stripe.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_abc', timestamp: t - 301 });
    assert.throws(() => stripe.webhooks.constructEvent(body, old, 'whsec_abc'), /tolerance/);
    const result = profile('stripe').verify(
      inbound(body, { 'stripe-signature': old }, { receivedAt: new Date(t * 1000) }),
      ['whsec_abc'],
    );
    assert.equal(!result.ok && result.code, 'timestamp_out_of_tolerance');
  });

  test("stripe-node's RangeError pitfall: 64 non-ASCII chars throw there, fail cleanly here", () => {
    const header = `t=${nowSeconds()},v1=${'é'.repeat(64)}`;
    assert.throws(() => stripe.webhooks.constructEvent(body, header, 'whsec_abc'), RangeError);
    const result = profile('stripe').verify(inbound(body, { 'stripe-signature': header }, { receivedAt: new Date() }), [
      'whsec_abc',
    ]);
    assert.equal(!result.ok && result.code, 'signature_malformed');
  });
});

describe('standard-webhooks × standardwebhooks and svix', () => {
  const secret = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;

  test('their sign() → our verify, for both header brands', () => {
    const date = new Date();
    const timestamp = String(Math.floor(date.getTime() / 1000));
    const std = new StandardWebhook(secret).sign('msg_1', date, body);
    const svix = new SvixWebhook(secret).sign('msg_1', date, body);
    assert.equal(std, svix);
    const fromStd = inbound(
      body,
      { 'webhook-id': 'msg_1', 'webhook-timestamp': timestamp, 'webhook-signature': std },
      { receivedAt: date },
    );
    const fromSvix = inbound(
      body,
      { 'svix-id': 'msg_1', 'svix-timestamp': timestamp, 'svix-signature': svix },
      { receivedAt: date },
    );
    assert.deepEqual(profile('standard-webhooks').verify(fromStd, [secret]), { ok: true });
    assert.deepEqual(profile('standard-webhooks').verify(fromSvix, [secret]), { ok: true });
  });

  test('our sign() → their verify()', () => {
    const headers = ourHeaders('standard-webhooks', secret);
    assert.deepEqual(new StandardWebhook(secret).verify(body, headers), JSON.parse(body));
    const svixHeaders = {
      'svix-id': headers['webhook-id']!,
      'svix-timestamp': headers['webhook-timestamp']!,
      'svix-signature': headers['webhook-signature']!,
    };
    assert.deepEqual(new SvixWebhook(secret).verify(body, svixHeaders), JSON.parse(body));
  });
});

describe('twilio × twilio-node', () => {
  const token = 'twilio-auth-token';
  const url = 'https://example.com/twilio/sms?tenant=a';
  const form = 'To=%2B15550001111&From=%2B15550002222&Body=Hello+%C3%A9&MediaUrl0=a&MediaUrl0=b&MediaUrl0=a';

  test('getExpectedTwilioSignature → our verify (form post, repeated params)', () => {
    const params: Record<string, string | string[]> = {
      To: '+15550001111',
      From: '+15550002222',
      Body: 'Hello é',
      MediaUrl0: ['a', 'b', 'a'],
    };
    const signature = twilio.getExpectedTwilioSignature(token, url, params);
    assert.deepEqual(profile('twilio').verify(inbound(form, { 'x-twilio-signature': signature }, { url }), [token]), {
      ok: true,
    });
  });

  test('our sign() → validateRequest (form) and validateRequestWithBody (JSON)', () => {
    const signature = ourHeaders('twilio', token, form, url)['x-twilio-signature']!;
    const params = Object.fromEntries(new URLSearchParams(form));
    params.MediaUrl0 = ['a', 'b', 'a'] as unknown as string;
    assert.equal(twilio.validateRequest(token, signature, url, params), true);
    const jsonUrl = withTwilioBodyHash(url, Buffer.from(body));
    const jsonSignature = ourHeaders('twilio', token, body, jsonUrl)['x-twilio-signature']!;
    assert.equal(twilio.validateRequestWithBody(token, jsonSignature, jsonUrl, body), true);
  });

  test('a signature over the URL with :443 verifies against the URL without it, and back', () => {
    const withPort = 'https://example.com:443/twilio/sms?tenant=a';
    const signedWithPort = twilio.getExpectedTwilioSignature(token, withPort, { A: '1' });
    assert.deepEqual(
      profile('twilio').verify(inbound('A=1', { 'x-twilio-signature': signedWithPort }, { url }), [token]),
      { ok: true },
    );
    const signedWithout = twilio.getExpectedTwilioSignature(token, url, { A: '1' });
    assert.deepEqual(
      profile('twilio').verify(inbound('A=1', { 'x-twilio-signature': signedWithout }, { url: withPort }), [token]),
      { ok: true },
    );
    assert.equal(twilio.validateRequest(token, signedWithout, withPort, { A: '1' }), true);
  });

  test('an unparseable or relative URL fails here where twilio-node throws a TypeError', () => {
    assert.throws(() => twilio.validateRequestWithBody(token, 'x', 'not a url bodySHA256=1', body), TypeError);
    assert.throws(() => twilio.validateRequest(token, 'x', '/twilio/sms?tenant=a', {}), TypeError);
    const relative = profile('twilio').verify(
      inbound('A=1', { 'x-twilio-signature': 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' }, { url: '/twilio/sms?tenant=a' }),
      [token],
    );
    assert.equal(!relative.ok && relative.code, 'signature_mismatch');
    const result = profile('twilio').verify(
      inbound(body, { 'x-twilio-signature': 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' }, { url: 'not a url bodySHA256=1' }),
      [token],
    );
    assert.equal(result.ok, false);
  });
});

describe('slack × @slack/bolt', () => {
  test('verifySlackRequest and isValidSlackRequest accept our sign()', () => {
    const headers = ourHeaders('slack', 'slack-signing-secret');
    const slackHeaders = {
      'x-slack-signature': headers['x-slack-signature']!,
      'x-slack-request-timestamp': Number(headers['x-slack-request-timestamp']),
    };
    assert.doesNotThrow(() =>
      verifySlackRequest({ signingSecret: 'slack-signing-secret', body, headers: slackHeaders }),
    );
    assert.equal(isValidSlackRequest({ signingSecret: 'slack-signing-secret', body, headers: slackHeaders }), true);
    assert.equal(isValidSlackRequest({ signingSecret: 'other', body, headers: slackHeaders }), false);
  });
});

describe('sendgrid × @sendgrid/eventwebhook', () => {
  test('verifySignature accepts our sign() (P-256 private key as the secret)', () => {
    const events = '[{"email":"a@example.com","event":"processed","sg_event_id":"sg_1"}]\r\n';
    const headers = ourHeaders('sendgrid', keys.sendgrid.private, events);
    const webhook = new EventWebhook();
    const publicKey = webhook.convertPublicKeyToECDSA(keys.sendgrid.publicBase64);
    const signature = headers['x-twilio-email-event-webhook-signature']!;
    const timestamp = headers['x-twilio-email-event-webhook-timestamp']!;
    assert.equal(webhook.verifySignature(publicKey, events, signature, timestamp), true);
    assert.equal(
      webhook.verifySignature(
        webhook.convertPublicKeyToECDSA(keys.otherP256.publicBase64),
        events,
        signature,
        timestamp,
      ),
      false,
    );
    assert.deepEqual(profile('sendgrid').verify(inbound(events, headers), [keys.sendgrid.publicBase64]), { ok: true });
  });

  test('sendgrid enforces no tolerance unless asked: an old delivery (a retry) still verifies', () => {
    const events = '[{"sg_event_id":"sg_1"}]\r\n';
    const old = profile('sendgrid').sign(keys.sendgrid.private, {
      rawBody: Buffer.from(events),
      eventId: '',
      timestamp: nowSeconds() - 48 * 3600,
      url: '',
    });
    assert.deepEqual(
      profile('sendgrid').verify(inbound(events, old, { receivedAt: new Date() }), [keys.sendgrid.publicBase64]),
      { ok: true },
    );
  });
});

describe('discord × discord-interactions', () => {
  test('await verifyKey accepts our sign() and rejects a changed body', async () => {
    const interaction = '{"id":"1","type":2,"data":{"name":"hello"}}';
    const headers = ourHeaders('discord', keys.discord.private, interaction);
    const signature = headers['x-signature-ed25519']!;
    const timestamp = headers['x-signature-timestamp']!;
    assert.equal(await verifyKey(interaction, signature, timestamp, keys.discord.publicHex), true);
    assert.equal(
      await verifyKey(interaction.replace('hello', 'hellp'), signature, timestamp, keys.discord.publicHex),
      false,
    );
    assert.deepEqual(
      profile('discord').verify(inbound(interaction, headers, { receivedAt: new Date() }), [keys.discord.publicHex]),
      { ok: true },
    );
  });
});
