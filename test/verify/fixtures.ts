/**
 * One fixture per profile: secrets, a realistic body, and how the signature header is written,
 * so that every profile runs through the same behaviour matrix.
 */
import { generateKeyPairSync, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import {
  getProfile,
  withTwilioBodyHash,
  type InboundRequest,
  type Profile,
  type VerifyOptions,
} from '../../src/verify';

/** A fixed "now" (2023-11-14T22:13:20Z) so that signatures are reproducible. */
export const NOW = 1_700_000_000;
export const at = (seconds: number): Date => new Date(seconds * 1000);

/** An inbound request with lower-cased header names, as the ingress builds it. */
export function inbound(
  body: string | Buffer,
  headers: Record<string, string | undefined>,
  {
    receivedAt = at(NOW),
    url = 'https://hooks.example.com/v1/webhook-deliveries/abc',
  }: { receivedAt?: Date; url?: string } = {},
): InboundRequest {
  const lower: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) lower[name.toLowerCase()] = value;
  return { rawBody: Buffer.isBuffer(body) ? body : Buffer.from(body), headers: lower, url, receivedAt };
}

// RFC 8032 test 1: the key behind the Discord vector in provider-vectors.json.
export const ED25519_RFC8032_SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';

const ed25519PublicHex = (key: KeyObject): string =>
  createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(12).toString('hex');
const spkiBase64 = (key: KeyObject): string =>
  createPublicKey(key).export({ format: 'der', type: 'spki' }).toString('base64');
const pkcs8Pem = (key: KeyObject): string => key.export({ format: 'pem', type: 'pkcs8' }).toString();

const discordKey = createPrivateKey({
  key: Buffer.concat([
    Buffer.from('302e020100300506032b657004220420', 'hex'),
    Buffer.from(ED25519_RFC8032_SEED, 'hex'),
  ]),
  format: 'der',
  type: 'pkcs8',
});
const otherEd25519 = generateKeyPairSync('ed25519').privateKey;
const sendgridKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
const otherP256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;

export const keys = {
  discord: { private: pkcs8Pem(discordKey), publicHex: ed25519PublicHex(discordKey) },
  otherEd25519: { private: pkcs8Pem(otherEd25519), publicHex: ed25519PublicHex(otherEd25519) },
  sendgrid: { private: pkcs8Pem(sendgridKey), publicBase64: spkiBase64(sendgridKey) },
  otherP256: { private: pkcs8Pem(otherP256), publicBase64: spkiBase64(otherP256) },
};

export interface ProfileFixture {
  profile: Profile;
  /** What `verify` takes (the public key for asymmetric profiles). */
  secret: string;
  /** What `sign` takes (the private key for asymmetric profiles). */
  signingSecret: string;
  otherSecret: string;
  otherSigningSecret: string;
  signatureHeader: string;
  /** Writes an encoded signature the way the provider's header carries it. */
  formatSignature(encoded: string, timestamp: number): string;
  encoding: 'hex' | 'base64' | 'utf8';
  /** Bytes in a genuine signature (undefined: variable, DER). */
  signatureBytes?: number;
  /** False only for GitLab: its token authenticates the sender, not the bytes. */
  signsBody?: false;
  /** Whether a signed timestamp is checked, and with which options in the stale test. */
  timestamp?: { staleOptions?: VerifyOptions };
  body(timestamp: number): string;
  url?: string;
}

const prefixed = (prefix: string) => (encoded: string) => prefix + encoded;

function fixture(
  name: string,
  rest: Omit<ProfileFixture, 'profile' | 'otherSigningSecret' | 'signingSecret'> & Partial<ProfileFixture>,
): ProfileFixture {
  const profile = getProfile(name);
  if (!profile) throw new Error(`no profile ${name}`);
  return { profile, signingSecret: rest.secret, otherSigningSecret: rest.otherSecret, ...rest };
}

const json = (value: unknown) => () => JSON.stringify(value);

export const fixtures: readonly ProfileFixture[] = [
  fixture('generic', {
    secret: 'generic-secret-1',
    otherSecret: 'generic-secret-2',
    signatureHeader: 'x-signature',
    formatSignature: prefixed('sha256='),
    encoding: 'hex',
    signatureBytes: 32,
    timestamp: {},
    body: json({ id: 'ord_1', type: 'order.created', total: 12.5 }),
  }),
  fixture('github', {
    secret: "It's a Secret to Everybody",
    otherSecret: 'another secret',
    signatureHeader: 'x-hub-signature-256',
    formatSignature: prefixed('sha256='),
    encoding: 'hex',
    signatureBytes: 32,
    body: json({ action: 'opened', number: 1, pull_request: { title: 'Ünïcode ✓' } }),
  }),
  fixture('stripe', {
    secret: 'whsec_test_secret',
    otherSecret: 'whsec_rolled_secret',
    signatureHeader: 'stripe-signature',
    formatSignature: (encoded, timestamp) => `t=${timestamp},v1=${encoded}`,
    encoding: 'hex',
    signatureBytes: 32,
    timestamp: {},
    body: json({ id: 'evt_1', object: 'event', type: 'payment_intent.succeeded' }),
  }),
  fixture('slack', {
    secret: '8f742231b10e8888abcd99yyyzzz85a5',
    otherSecret: 'f00ba4f00ba4f00ba4f00ba4f00ba4f0',
    signatureHeader: 'x-slack-signature',
    formatSignature: prefixed('v0='),
    encoding: 'hex',
    signatureBytes: 32,
    timestamp: {},
    body: json({ type: 'event_callback', event_id: 'Ev01', event: { type: 'app_mention', text: 'hi' } }),
  }),
  fixture('msteams', {
    secret: 'vqF0En+Z0ucuRTM/01o2GuhMH3hKKk/N2bOmlM31zaA=',
    otherSecret: Buffer.alloc(32, 7).toString('base64'),
    signatureHeader: 'authorization',
    formatSignature: prefixed('HMAC '),
    encoding: 'base64',
    signatureBytes: 32,
    body: json({ type: 'message', id: '1485983408511', text: '<at>Bot</at> hi' }),
  }),
  fixture('sendgrid', {
    secret: keys.sendgrid.publicBase64,
    signingSecret: keys.sendgrid.private,
    otherSecret: keys.otherP256.publicBase64,
    otherSigningSecret: keys.otherP256.private,
    signatureHeader: 'x-twilio-email-event-webhook-signature',
    formatSignature: prefixed(''),
    encoding: 'base64',
    timestamp: { staleOptions: { timestampToleranceSeconds: 300 } },
    body: () =>
      '[{"email":"a@example.com","event":"delivered","sg_event_id":"sg_1","timestamp":1700000000},\r\n{"email":"b@example.com","event":"open","sg_event_id":"sg_2","timestamp":1700000001}]\r\n',
  }),
  fixture('standard-webhooks', {
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    otherSecret: `whsec_${Buffer.alloc(24, 9).toString('base64')}`,
    signatureHeader: 'webhook-signature',
    formatSignature: prefixed('v1,'),
    encoding: 'base64',
    signatureBytes: 32,
    timestamp: {},
    body: json({ type: 'invoice.paid', data: { id: 'inv_1' } }),
  }),
  fixture('gitlab', {
    secret: 'gl-hook-secret',
    otherSecret: 'gl-hook-secret-2',
    signatureHeader: 'x-gitlab-token',
    signsBody: false,
    formatSignature: prefixed(''),
    encoding: 'utf8',
    body: json({ object_kind: 'push', ref: 'refs/heads/main' }),
  }),
  fixture('shopify', {
    secret: 'shop-secret',
    otherSecret: 'shop-secret-rotated',
    signatureHeader: 'x-shopify-hmac-sha256',
    formatSignature: prefixed(''),
    encoding: 'base64',
    signatureBytes: 32,
    body: json({ id: 1, email: 'a@example.com' }),
  }),
  fixture('twilio', {
    secret: '12345',
    otherSecret: '67890',
    signatureHeader: 'x-twilio-signature',
    formatSignature: prefixed(''),
    encoding: 'base64',
    signatureBytes: 20,
    body: () => 'CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030&To=%2B18005551212',
    url: 'https://mycompany.com/myapp.php?foo=1&bar=2',
  }),
  fixture('zoom', {
    secret: 'zoom_secret_token',
    otherSecret: 'zoom_secret_token_2',
    signatureHeader: 'x-zm-signature',
    formatSignature: prefixed('v0='),
    encoding: 'hex',
    signatureBytes: 32,
    timestamp: {},
    body: json({ event: 'meeting.started', event_ts: 1700000000123, payload: { object: { id: '1' } } }),
  }),
  fixture('discord', {
    secret: keys.discord.publicHex,
    signingSecret: keys.discord.private,
    otherSecret: keys.otherEd25519.publicHex,
    otherSigningSecret: keys.otherEd25519.private,
    signatureHeader: 'x-signature-ed25519',
    formatSignature: prefixed(''),
    encoding: 'hex',
    signatureBytes: 64,
    timestamp: {},
    body: json({ id: '1234', type: 2, data: { name: 'ping' } }),
  }),
  fixture('linear', {
    secret: 'lin_wh_secret',
    otherSecret: 'lin_wh_secret_2',
    signatureHeader: 'linear-signature',
    formatSignature: prefixed(''),
    encoding: 'hex',
    signatureBytes: 32,
    timestamp: {},
    body: (timestamp) => JSON.stringify({ action: 'create', type: 'Issue', webhookTimestamp: timestamp * 1000 }),
  }),
  fixture('pagerduty', {
    secret: 'pd_secret',
    otherSecret: 'pd_secret_2',
    signatureHeader: 'x-pagerduty-signature',
    formatSignature: prefixed('v1='),
    encoding: 'hex',
    signatureBytes: 32,
    body: json({ event: { id: '01', event_type: 'incident.triggered' } }),
  }),
  fixture('bitbucket', {
    secret: 'bb_secret',
    otherSecret: 'bb_secret_2',
    signatureHeader: 'x-hub-signature',
    formatSignature: prefixed('sha256='),
    encoding: 'hex',
    signatureBytes: 32,
    body: json({ push: {} }),
  }),
];

/** A request signed by the profile's own `sign`, received at `receivedAt` (default: when signed). */
export function signedRequest(
  f: ProfileFixture,
  {
    timestamp = NOW,
    secret = f.signingSecret,
    receivedAt,
    body,
  }: { timestamp?: number; secret?: string; receivedAt?: Date; body?: string } = {},
): InboundRequest {
  const rawBody = Buffer.from(body ?? f.body(timestamp));
  const url = f.url ?? 'https://hooks.example.com/v1/webhook-deliveries/abc';
  const headers = f.profile.sign(secret, { rawBody, eventId: 'evt-123', timestamp, url });
  return inbound(rawBody, headers, { receivedAt: receivedAt ?? at(timestamp), url });
}

export { withTwilioBodyHash };
