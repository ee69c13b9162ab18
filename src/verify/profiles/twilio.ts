import { parse as parseQuery, stringify as stringifyQuery } from 'node:querystring';
import { decodeHex, safeEqual, sha256, type SignedContent } from '../crypto';
import { defineProfile, THREE_DAYS_SECONDS } from '../define-profile';
import { hmacAlgorithm } from '../signature-algorithms';
import type { InboundRequest, VerifyFailure } from '../types';
import { failure } from '../verify-result';

/** `scheme://userinfo@host:port` split without normalising, as Twilio's library does. */
const URL_AUTHORITY = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i;

function withPort(url: string, port: 'add' | 'remove'): string {
  const match = URL_AUTHORITY.exec(url);
  if (!match) return url;
  const [prefix, scheme = '', authority = ''] = match;
  const userInfoEnd = authority.lastIndexOf('@');
  const hostAndPort = authority.slice(userInfoEnd + 1);
  const portStart = hostAndPort.indexOf(':', hostAndPort.lastIndexOf(']') + 1);
  if (port === 'add' && portStart !== -1) return url;
  const host = portStart === -1 ? hostAndPort : hostAndPort.slice(0, portStart);
  const defaultPort = port === 'remove' ? '' : scheme.toLowerCase() === 'https://' ? ':443' : ':80';
  return scheme + authority.slice(0, userInfoEnd + 1) + host + defaultPort + url.slice(prefix.length);
}

function withLegacyQuery(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1 || queryStart === url.length - 1) return url;
  return `${url.slice(0, queryStart)}?${stringifyQuery(parseQuery(url.slice(queryStart + 1)))}`;
}

/**
 * The URLs Twilio may have signed, in the order its own `validateRequest` tries them: as
 * received (exactly, then without and with the default port), then as `new URL()` normalises
 * it, with and without the legacy querystring encoding. Lazy: a match on the first stops here.
 */
function* signedUrlVariants(url: string): Generator<string> {
  yield url;
  yield withPort(url, 'remove');
  yield withPort(url, 'add');
  let normalized: string;
  try {
    normalized = new URL(url).toString();
  } catch {
    return;
  }
  for (const variant of [withPort(normalized, 'remove'), withPort(normalized, 'add')]) {
    yield variant;
    yield withLegacyQuery(variant);
  }
}

/** Form parameters as Twilio signs them: names sorted, each `name + value`, repeated values de-duplicated and sorted. */
function sortedFormParams(rawBody: Buffer): string {
  const values = new Map<string, string[]>();
  for (const [name, value] of new URLSearchParams(rawBody.toString('utf8'))) {
    const list = values.get(name);
    if (list) list.push(value);
    else values.set(name, [value]);
  }
  let signed = '';
  for (const name of [...values.keys()].sort()) {
    const list = values.get(name) ?? [];
    for (const value of list.length > 1 ? [...new Set(list)].sort() : list) signed += name + value;
  }
  return signed;
}

function bodyHashParam(url: string): string | undefined {
  if (!url.includes('bodySHA256')) return undefined;
  try {
    return new URL(url).searchParams.get('bodySHA256') ?? undefined;
  } catch {
    return undefined;
  }
}

function* eachUrlWith(url: string, params: string): Generator<SignedContent> {
  const tried = new Set<string>();
  for (const candidate of signedUrlVariants(url)) {
    if (tried.has(candidate)) continue;
    tried.add(candidate);
    yield [candidate, params];
  }
}

function twilioSignedContents(req: InboundRequest): Iterable<SignedContent> | VerifyFailure {
  const claimedHash = bodyHashParam(req.url);
  let params = '';
  if (claimedHash === undefined) params = sortedFormParams(req.rawBody);
  else if (!safeEqual(decodeHex(claimedHash) ?? Buffer.alloc(0), sha256(req.rawBody))) {
    return failure('signature_mismatch', 'body does not match the bodySHA256 it was signed with');
  }
  return eachUrlWith(req.url, params);
}

/** The URL Twilio calls for a JSON body: the configured URL plus `bodySHA256=<hex SHA-256 of the body>`. */
export function withTwilioBodyHash(url: string, rawBody: Buffer): string {
  return `${url}${url.includes('?') ? '&' : '?'}bodySHA256=${sha256(rawBody).toString('hex')}`;
}

/**
 * Twilio: `X-Twilio-Signature: <base64 HMAC-SHA1(auth token, URL + sorted form params)>`. For
 * JSON bodies Twilio signs the URL alone, which carries `bodySHA256`, and the body must hash to
 * it (`withTwilioBodyHash` builds such a URL for `sign`). `InboundRequest.url` must be the
 * public URL Twilio called, not one rebuilt behind a proxy. No timestamp is signed: dedup on
 * `I-Twilio-Idempotency-Token` is the replay guard (72 h).
 */
export const twilioProfile = defineProfile({
  name: 'twilio',
  description: 'Twilio: X-Twilio-Signature (base64 HMAC-SHA1 of URL + sorted form params, or URL with bodySHA256)',
  defaultDedupWindowSeconds: THREE_DAYS_SECONDS,
  algorithm: hmacAlgorithm('sha1'),
  signature: { headers: ['x-twilio-signature'], format: { prefix: '' }, encoding: 'base64' },
  signedContent: twilioSignedContents,
  eventId: [{ header: 'i-twilio-idempotency-token' }],
});
