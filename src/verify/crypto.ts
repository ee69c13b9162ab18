/**
 * Primitives every profile shares: HMAC over byte parts, constant-time comparison of decoded
 * bytes, strict hex/base64 decoding, signature-list splitting, and timestamp checks.
 * Nothing here throws on request input: malformed input yields `undefined` or `false`.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { VerifyResult } from './types';
import { failure, verified } from './verify-result';

export type HmacAlgorithm = 'sha256' | 'sha1' | 'sha512';

/** Digest length in bytes of each HMAC algorithm: a decoded signature of any other length is malformed. */
export const HMAC_DIGEST_BYTES: Readonly<Record<HmacAlgorithm, number>> = { sha1: 20, sha256: 32, sha512: 64 };

/** Bytes to sign or verify, as parts hashed in order (the body is never copied into a larger buffer). */
export type SignedContent = readonly (string | Buffer)[];

/** HMAC of `data` (strings are UTF-8) under `key`. */
export function hmac(algorithm: HmacAlgorithm, key: string | Buffer, data: string | Buffer | SignedContent): Buffer {
  const mac = createHmac(algorithm, key);
  if (typeof data === 'string' || Buffer.isBuffer(data)) mac.update(data);
  else for (const part of data) mac.update(part);
  return mac.digest();
}

/** SHA-256 of `data` (strings are UTF-8). */
export function sha256(data: string | Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

/**
 * Constant-time equality of two byte strings. Unequal lengths are simply unequal:
 * `timingSafeEqual` would throw a RangeError, turning a forged header into a 500.
 */
export function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Decodes non-empty hex, or undefined: `Buffer.from(s, 'hex')` would silently stop at the first bad character. */
export function decodeHex(text: string): Buffer | undefined {
  return HEX.test(text) ? Buffer.from(text, 'hex') : undefined;
}

/**
 * Decodes non-empty standard base64 (padding optional), or undefined for anything
 * `Buffer.from(s, 'base64')` would otherwise skip over or truncate.
 */
export function decodeBase64(text: string): Buffer | undefined {
  if (!BASE64.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64');
  const canonical = bytes.toString('base64');
  const padded = text.length % 4 === 0 ? text : text + '='.repeat(4 - (text.length % 4));
  return canonical === padded ? bytes : undefined;
}

/**
 * Splits a multi-signature header into `[scheme, value]` entries, trimming each one (Node
 * joins repeated header lines with ", "). Entries without the assignment character are
 * dropped. Stripe: `splitSignatureList('t=1,v1=a,v0=b', ',', '=')`; Standard Webhooks:
 * `splitSignatureList('v1,a v1,b', ' ', ',')`; PagerDuty: `splitSignatureList('v1=a,v1=b', ',', '=')`.
 */
export function splitSignatureList(value: string, separator: string, assign: string): [string, string][] {
  const entries: [string, string][] = [];
  for (const raw of value.split(separator)) {
    const entry = raw.trim();
    const at = entry.indexOf(assign);
    if (at > 0) entries.push([entry.slice(0, at), entry.slice(at + assign.length).trim()]);
  }
  return entries;
}

/**
 * `s`: unix seconds; `ms`: unix milliseconds; `auto`: milliseconds when the value is too large
 * to be seconds (≥ 1e11, i.e. after the year 5000 as seconds, 1973 as milliseconds).
 */
export type TimestampUnit = 's' | 'ms' | 'auto';

const MILLISECONDS_THRESHOLD = 1e11;
const DECIMAL = /^\d{1,16}$/;

/** Parses a non-negative integer unix time (string or JSON number) into seconds, or undefined. */
export function parseUnixTimestamp(value: unknown, unit: TimestampUnit = 's'): number | undefined {
  let n: number;
  if (typeof value === 'string' && DECIMAL.test(value)) n = Number(value);
  else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) n = value;
  else return undefined;
  const isMilliseconds = unit === 'ms' || (unit === 'auto' && n >= MILLISECONDS_THRESHOLD);
  return isMilliseconds ? n / 1000 : n;
}

/**
 * Whether `timestampSeconds` lies within `toleranceSeconds` of `receivedAt`. A too-new
 * timestamp also fails unless `futureAllowed` (Stripe's own library accepts those).
 * Written so that NaN anywhere fails rather than passes.
 */
export function checkTolerance(
  timestampSeconds: number,
  receivedAt: Date,
  toleranceSeconds: number,
  { futureAllowed = false }: { futureAllowed?: boolean } = {},
): VerifyResult {
  const ageSeconds = receivedAt.getTime() / 1000 - timestampSeconds;
  const tooOld = !(ageSeconds <= toleranceSeconds);
  const tooNew = !futureAllowed && !(-ageSeconds <= toleranceSeconds);
  return tooOld || tooNew ? failure('timestamp_out_of_tolerance', 'timestamp outside the allowed window') : verified;
}
