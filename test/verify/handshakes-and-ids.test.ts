/** Handshakes (answered only when signed, except Slack's documented ssl_check), event ids and event types. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { getProfile, profiles, type InboundRequest, type Profile } from '../../src/verify';
import { at, inbound, keys, NOW } from './fixtures';

const profile = (name: string): Profile => getProfile(name)!;

function signed(
  name: string,
  secret: string,
  body: string,
  extra: Record<string, string> = {},
  eventId = 'evt-1',
): InboundRequest {
  const headers = profile(name).sign(secret, {
    rawBody: Buffer.from(body),
    eventId,
    timestamp: NOW,
    url: 'https://x.test/',
  });
  return inbound(body, { ...headers, ...extra }, { receivedAt: at(NOW) });
}

describe('challenge', () => {
  test('only slack, zoom and discord answer handshakes', () => {
    assert.deepEqual(
      profiles.filter((p) => 'challenge' in p).map((p) => p.name),
      ['slack', 'zoom', 'discord'],
    );
  });

  test('slack url_verification is answered with {"challenge"} JSON once the signature verifies', () => {
    const body =
      '{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}';
    const req = signed('slack', 'slack-secret', body);
    assert.deepEqual(profile('slack').challenge!(req, JSON.parse(body), ['other', 'slack-secret']), {
      status: 200,
      contentType: 'application/json',
      body: '{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}',
    });
    assert.equal(
      profile('slack').challenge!(req, undefined, ['wrong-secret']),
      undefined,
      'an unsigned challenge is not echoed',
    );
    const stale = { ...req, receivedAt: at(NOW + 3600) };
    assert.equal(profile('slack').challenge!(stale, undefined, ['slack-secret']), undefined, 'a stale one neither');
  });

  test('slack ssl_check is unsigned by design and gets an empty 200', () => {
    const req = inbound('ssl_check=1&token=legacy', {});
    assert.deepEqual(profile('slack').challenge!(req, undefined, ['slack-secret']), {
      status: 200,
      contentType: 'text/plain',
      body: '',
    });
  });

  test('zoom endpoint.url_validation: the vector, computed with whichever rotated secret verifies', () => {
    const expected = JSON.parse(readFileSync('/work/shared/provider-vectors.json', 'utf8')).zoom_url_validation as {
      plainToken: string;
      encryptedToken: string;
    };
    const body = JSON.stringify({
      event: 'endpoint.url_validation',
      payload: { plainToken: expected.plainToken },
      event_ts: 1700000000000,
    });
    const req = signed('zoom', 'zoom_secret_token', body);
    const answer = profile('zoom').challenge!(req, undefined, ['stale_token', 'zoom_secret_token']);
    assert.deepEqual(answer, { status: 200, contentType: 'application/json', body: JSON.stringify(expected) });
    assert.equal(profile('zoom').challenge!(req, undefined, ['stale_token']), undefined);
    const unsigned = inbound(body, {});
    assert.equal(profile('zoom').challenge!(unsigned, undefined, ['zoom_secret_token']), undefined);
  });

  test('discord PING gets PONG only when signed (Discord probes with bad signatures)', () => {
    const req = signed('discord', keys.discord.private, '{"type":1}');
    assert.deepEqual(profile('discord').challenge!(req, { type: 1 }, [keys.discord.publicHex]), {
      status: 200,
      contentType: 'application/json',
      body: '{"type":1}',
    });
    assert.equal(profile('discord').challenge!(req, { type: 1 }, [keys.otherEd25519.publicHex]), undefined);
    const command = signed('discord', keys.discord.private, '{"type":2}');
    assert.equal(profile('discord').challenge!(command, undefined, [keys.discord.publicHex]), undefined);
  });

  test('ordinary deliveries are not handshakes', () => {
    assert.equal(
      profile('slack').challenge!(signed('slack', 's', '{"type":"event_callback"}'), undefined, ['s']),
      undefined,
    );
    assert.equal(
      profile('zoom').challenge!(signed('zoom', 's', '{"event":"meeting.started"}'), undefined, ['s']),
      undefined,
    );
  });
});

describe('eventId and sourceEvent', () => {
  const cases: [
    profile: string,
    req: InboundRequest,
    payload: unknown,
    eventId: string | undefined,
    sourceEvent: string | undefined,
  ][] = [
    [
      'generic',
      inbound('{}', { 'x-event-id': 'ord_1', 'x-event-type': 'order.created' }),
      undefined,
      'ord_1',
      'order.created',
    ],
    ['generic', inbound('{"id":"x"}', {}), undefined, undefined, undefined],
    [
      'github',
      inbound('{}', { 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958', 'x-github-event': 'push' }),
      undefined,
      '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      'push',
    ],
    ['stripe', inbound('{"id":"evt_1","type":"invoice.paid"}', {}), undefined, 'evt_1', 'invoice.paid'],
    [
      'slack',
      inbound('{"event_id":"Ev1","type":"event_callback","event":{"type":"message"}}', {}),
      undefined,
      'Ev1',
      'message',
    ],
    [
      'slack',
      inbound(
        `payload=${encodeURIComponent('{"type":"block_actions","trigger_id":"13345224609.738474920.8088930838d88f008e0"}')}`,
        {},
      ),
      undefined,
      '13345224609.738474920.8088930838d88f008e0',
      'block_actions',
    ],
    ['msteams', inbound('{"type":"message","id":"1485983408511"}', {}), undefined, '1485983408511', 'message'],
    ['sendgrid', inbound('[{"sg_event_id":"a","event":"open"},{"sg_event_id":"b"}]\r\n', {}), undefined, 'a', 'open'],
    [
      'standard-webhooks',
      inbound('{"type":"user.created"}', { 'svix-id': 'msg_1' }),
      undefined,
      'msg_1',
      'user.created',
    ],
    [
      'gitlab',
      inbound('{}', {
        'idempotency-key': 'idem-1',
        'x-gitlab-webhook-uuid': 'per-request',
        'x-gitlab-event': 'Push Hook',
      }),
      undefined,
      'idem-1',
      'Push Hook',
    ],
    ['gitlab', inbound('{}', { 'x-gitlab-webhook-uuid': 'per-request' }), undefined, 'per-request', undefined],
    [
      'shopify',
      inbound('{}', { 'x-shopify-webhook-id': 'b54557e4', 'x-shopify-topic': 'orders/create' }),
      undefined,
      'b54557e4',
      'orders/create',
    ],
    ['twilio', inbound('MessageSid=SM1', { 'i-twilio-idempotency-token': 'tok-1' }), undefined, 'tok-1', undefined],
    // Zoom sends no documented delivery id: the body's SHA-256 stands in (a retry resends the same body).
    [
      'zoom',
      inbound('{"event":"meeting.started"}', {}),
      undefined,
      'bd32cf7c10866459ac070ab83fa66d5a9a75d4017ef1a755b0e23e3175820d12',
      'meeting.started',
    ],
    ['discord', inbound('{"id":"99","type":2}', {}), { id: '99', type: 2 }, '99', '2'],
    [
      'linear',
      inbound('{"type":"Issue"}', { 'linear-delivery': 'd-1', 'linear-event': 'Issue' }),
      undefined,
      'd-1',
      'Issue',
    ],
    [
      'pagerduty',
      inbound('{"event":{"event_type":"incident.resolved"}}', { 'x-webhook-id': 'w-1' }),
      undefined,
      'w-1',
      'incident.resolved',
    ],
    [
      'bitbucket',
      inbound('{}', { 'x-request-uuid': 'r-1', 'x-event-key': 'repo:push' }),
      undefined,
      'r-1',
      'repo:push',
    ],
    ['bitbucket', inbound('{}', { 'x-request-id': 'dc-1' }), undefined, 'dc-1', undefined],
  ];
  for (const [name, req, payload, eventId, sourceEvent] of cases) {
    test(`${name}: ${eventId ?? 'no id'} / ${sourceEvent ?? 'no event type'}`, () => {
      const p = profile(name);
      assert.equal(p.eventId(req, payload), eventId);
      assert.equal(p.sourceEvent(req, payload), sourceEvent);
    });
  }

  test('a parsed payload from the ingress is used as given', () => {
    assert.equal(profile('stripe').eventId(inbound('not json', {}), { id: 'evt_parsed' }), 'evt_parsed');
  });

  test('an id in a header that belongs to another provider is not picked up', () => {
    assert.equal(profile('github').eventId(inbound('{"id":"x"}', { 'x-event-id': 'generic' }), undefined), undefined);
  });
});
