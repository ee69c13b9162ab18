/**
 * Evaluates `spec.conditions` against a delivery. Pure apart from `jose`'s async API: no I/O,
 * secrets come in already resolved, and nothing thrown by request input escapes — every
 * problem is a failure with a fixed reason that never carries a secret or a token.
 */
import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { errors as joseErrors, jwtVerify, type JWTVerifyOptions } from 'jose';
import {
  checkTolerance,
  decodeBase64,
  decodeHex,
  HMAC_DIGEST_BYTES,
  hmac,
  parseUnixTimestamp,
  safeEqual,
  sha256,
} from '../verify/crypto';
import { headerValue } from '../verify/request-fields';
import { sharedToken } from '../verify/signature-algorithms';
import type { InboundRequest } from '../verify/types';
import type {
  Condition,
  HmacCondition,
  JwtCondition,
  LookupSpec,
  StaticTokenCondition,
} from '../resources/conditions-spec';

export type ConditionFailureCode =
  | 'condition_value_missing'
  | 'condition_value_malformed'
  | 'condition_mismatch'
  | 'condition_jwt_invalid'
  | 'condition_timestamp_invalid'
  | 'condition_timestamp_out_of_tolerance'
  | 'condition_secret_unavailable';

export type ConditionsResult = { ok: true } | { ok: false; code: ConditionFailureCode; reason: string };

export interface ConditionContext {
  inbound: InboundRequest;
  /** The parsed payload, or undefined when the body could not be parsed (`json` lookups then find nothing). */
  payload: unknown;
  /** Resolved secret values per condition, by index; several values are a rotation (any one passes). */
  secrets: readonly (readonly string[] | undefined)[];
  now: Date;
}

type Failure = { ok: false; code: ConditionFailureCode; reason: string };
type Outcome = { ok: true } | Failure;
const passed: Outcome = { ok: true };
const fail = (code: ConditionFailureCode, reason: string): Failure => ({ ok: false, code, reason });

const JWT_DEFAULT_LOOKUP: LookupSpec = { in: 'header', name: 'Authorization' };
const JWT_DEFAULT_PREFIX = 'Bearer ';

function describeLookup(lookup: LookupSpec): string {
  return lookup.in === 'header'
    ? `header ${lookup.name}`
    : lookup.in === 'query'
      ? `query parameter ${lookup.name}`
      : `${lookup.in} field ${lookup.name}`;
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

function queryValue(url: string, name: string): string | undefined {
  try {
    return new URL(url).searchParams.get(name) || undefined;
  } catch {
    return undefined;
  }
}

/** The value a lookup names, as text (finite JSON numbers as their decimal form), or undefined. */
export function readLookup(lookup: LookupSpec, inbound: InboundRequest, payload: unknown): string | undefined {
  switch (lookup.in) {
    case 'header':
      return headerValue(inbound, [lookup.name.toLowerCase()]);
    case 'query':
      return queryValue(inbound.url, lookup.name);
    case 'form':
      if (mediaType(inbound.headers['content-type']) !== 'application/x-www-form-urlencoded') return undefined;
      return new URLSearchParams(inbound.rawBody.toString('utf8')).get(lookup.name) || undefined;
    case 'json': {
      if (
        typeof payload !== 'object' ||
        payload === null ||
        Array.isArray(payload) ||
        !Object.hasOwn(payload, lookup.name)
      )
        return undefined;
      const value = (payload as Record<string, unknown>)[lookup.name];
      if (typeof value === 'string') return value || undefined;
      return typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
    }
  }
}

/** The looked-up value with its prefix stripped (matched case-insensitively, as HTTP auth schemes are). */
function readToken(
  lookup: LookupSpec,
  prefix: string | undefined,
  ctx: ConditionContext,
): Outcome | { ok: true; value: string } {
  const raw = readLookup(lookup, ctx.inbound, ctx.payload);
  if (raw === undefined) return fail('condition_value_missing', `${describeLookup(lookup)} missing`);
  if (prefix === undefined) return { ok: true, value: raw };
  if (raw.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase())
    return fail('condition_value_malformed', `${describeLookup(lookup)} does not start with the expected prefix`);
  const value = raw.slice(prefix.length);
  return value === ''
    ? fail('condition_value_missing', `${describeLookup(lookup)} holds only its prefix`)
    : { ok: true, value };
}

function checkStaticToken(condition: StaticTokenCondition, secrets: readonly string[], ctx: ConditionContext): Outcome {
  const token = readToken(condition.lookup, condition.prefix, ctx);
  if (!('value' in token)) return token;
  const presented = Buffer.from(token.value);
  const verifiers = secrets.flatMap((secret) => sharedToken.verifierFor(secret) ?? []);
  if (verifiers.length === 0) return fail('condition_secret_unavailable', 'no usable secret configured');
  return verifiers.some((verifier) => verifier([])(presented))
    ? passed
    : fail('condition_mismatch', `${describeLookup(condition.lookup)} does not match`);
}

type BasestringPart = string | { header: string } | { query: string } | { body: true };

function compileBasestring(template: string): BasestringPart[] {
  return template
    .split(/(\{[^{}]*\})/)
    .filter((piece) => piece !== '')
    .map((piece): BasestringPart => {
      if (piece === '{body}') return { body: true };
      if (piece.startsWith('{header:') && piece.endsWith('}')) return { header: piece.slice(8, -1).toLowerCase() };
      if (piece.startsWith('{query:') && piece.endsWith('}')) return { query: piece.slice(7, -1) };
      return piece;
    });
}

/** The bytes an HMAC condition signs, or a failure naming the header or parameter that is missing. */
export function fillBasestring(template: string, inbound: InboundRequest): (string | Buffer)[] | Failure {
  const content: (string | Buffer)[] = [];
  for (const part of compileBasestring(template)) {
    if (typeof part === 'string') content.push(part);
    else if ('body' in part) content.push(inbound.rawBody);
    else if ('header' in part) {
      const value = headerValue(inbound, [part.header]);
      if (value === undefined) return fail('condition_value_missing', `header ${part.header} (signed) missing`);
      content.push(value);
    } else {
      const value = queryValue(inbound.url, part.query);
      if (value === undefined) return fail('condition_value_missing', `query parameter ${part.query} (signed) missing`);
      content.push(value);
    }
  }
  return content;
}

function checkHmac(condition: HmacCondition, secrets: readonly string[], ctx: ConditionContext): Outcome {
  const token = readToken(condition.lookup, condition.prefix, ctx);
  if (!('value' in token)) return token;
  const signature = (condition.encoding === 'hex' ? decodeHex : decodeBase64)(token.value.trim());
  if (signature === undefined || signature.length !== HMAC_DIGEST_BYTES[condition.algorithm]) {
    return fail(
      'condition_value_malformed',
      `${describeLookup(condition.lookup)} is not a ${condition.encoding} ${condition.algorithm} signature`,
    );
  }
  const content = fillBasestring(condition.basestring ?? '{body}', ctx.inbound);
  if ('ok' in content) return content;
  const usable = secrets.filter((secret) => secret !== '');
  if (usable.length === 0) return fail('condition_secret_unavailable', 'no usable secret configured');
  return usable.some((secret) => safeEqual(hmac(condition.algorithm, secret, content), signature))
    ? passed
    : fail('condition_mismatch', `${describeLookup(condition.lookup)}: no configured secret matches the signature`);
}

// Importing a public key costs more than a verification; keep the few configured ones.
const KEY_CACHE_LIMIT = 256;
const keyCache = new Map<string, KeyObject | Uint8Array | undefined>();

/**
 * A PEM SPKI or JWK JSON secret becomes a public (or, for a JWK `oct`, secret) key object;
 * anything else is the HS256 shared secret's UTF-8 bytes. A PEM or JWK is never used as HMAC
 * key bytes, so a token "signed" with HS256 over the public key text cannot pass (alg confusion).
 */
function jwtKey(secret: string): KeyObject | Uint8Array | undefined {
  if (keyCache.has(secret)) return keyCache.get(secret);
  let key: KeyObject | Uint8Array | undefined;
  const text = secret.trim();
  try {
    if (text.startsWith('-----BEGIN')) key = createPublicKey(text);
    else if (text.startsWith('{')) {
      const jwk = JSON.parse(text) as { kty?: string; k?: string };
      key =
        jwk.kty === 'oct' && typeof jwk.k === 'string'
          ? createSecretKey(Buffer.from(jwk.k, 'base64url'))
          : createPublicKey({ key: jwk as never, format: 'jwk' });
    } else key = secret === '' ? undefined : new TextEncoder().encode(secret);
  } catch {
    key = undefined;
  }
  if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
  keyCache.set(secret, key);
  return key;
}

/** A fixed reason for a `jose` error: its messages are not part of our contract. */
function jwtReason(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'token expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed)
    return `claim "${err.claim}" ${err.reason === 'missing' ? 'missing' : 'rejected'}`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature does not verify';
  if (err instanceof joseErrors.JOSEAlgNotAllowed || err instanceof joseErrors.JOSENotSupported)
    return 'algorithm not allowed';
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) return 'not a well-formed JWT';
  return 'token could not be verified with the configured key';
}

async function checkJwt(condition: JwtCondition, secrets: readonly string[], ctx: ConditionContext): Promise<Outcome> {
  const lookup = condition.lookup ?? JWT_DEFAULT_LOOKUP;
  const token = readToken(lookup, condition.lookup ? condition.prefix : (condition.prefix ?? JWT_DEFAULT_PREFIX), ctx);
  if (!('value' in token)) return token;
  const keys = secrets.flatMap((secret) => jwtKey(secret) ?? []);
  if (keys.length === 0) return fail('condition_secret_unavailable', 'no usable key configured');
  const options: JWTVerifyOptions = {
    algorithms: [...condition.algorithms],
    currentDate: ctx.now,
    ...(condition.issuer === undefined ? {} : { issuer: condition.issuer }),
    ...(condition.audience === undefined ? {} : { audience: condition.audience }),
    ...(condition.clockToleranceSeconds === undefined ? {} : { clockTolerance: condition.clockToleranceSeconds }),
  };
  // Rotation: any key passing is a pass. A claim failure means the signature verified, so it is
  // the more useful reason to report than another key's signature mismatch.
  let reason: string | undefined;
  for (const key of keys) {
    try {
      await jwtVerify(token.value, key, options);
      return passed;
    } catch (err) {
      const why = jwtReason(err);
      if (reason === undefined || reason === 'signature does not verify' || reason.startsWith('token could not'))
        reason = why;
    }
  }
  return fail('condition_jwt_invalid', `JWT in ${describeLookup(lookup)}: ${reason ?? 'rejected'}`);
}

function checkHeaders(headers: Readonly<Record<string, string>>, inbound: InboundRequest): Outcome {
  for (const [name, expected] of Object.entries(headers)) {
    const value = headerValue(inbound, [name.toLowerCase()]);
    if (value === undefined) return fail('condition_value_missing', `header ${name} missing`);
    if (!safeEqual(sha256(value), sha256(expected)))
      return fail('condition_mismatch', `header ${name} does not have the expected value`);
  }
  return passed;
}

function checkTimestamp(condition: Extract<Condition, { type: 'timestamp' }>, ctx: ConditionContext): Outcome {
  const value = readLookup(condition.lookup, ctx.inbound, ctx.payload);
  if (value === undefined) return fail('condition_value_missing', `${describeLookup(condition.lookup)} missing`);
  const seconds = parseUnixTimestamp(value, condition.unit ?? 'auto');
  if (seconds === undefined)
    return fail('condition_timestamp_invalid', `${describeLookup(condition.lookup)} is not a unix time`);
  return checkTolerance(seconds, ctx.now, condition.toleranceSeconds).ok
    ? passed
    : fail(
        'condition_timestamp_out_of_tolerance',
        `${describeLookup(condition.lookup)} is outside the allowed ${condition.toleranceSeconds} s window`,
      );
}

async function evaluateOne(condition: Condition, secrets: readonly string[], ctx: ConditionContext): Promise<Outcome> {
  switch (condition.type) {
    case 'static-token':
      return checkStaticToken(condition, secrets, ctx);
    case 'hmac':
      return checkHmac(condition, secrets, ctx);
    case 'jwt':
      return checkJwt(condition, secrets, ctx);
    case 'headers':
      return checkHeaders(condition.headers, ctx.inbound);
    case 'timestamp':
      return checkTimestamp(condition, ctx);
    case 'rate-limit':
    case 'rateLimit':
      // Counted in the store by the ingress (rate-limit.ts) once every other condition holds.
      return passed;
  }
}

/**
 * Whether every condition holds, in order; the first failure is returned with a reason naming
 * the condition (`conditions[1] (jwt): token expired`). Never throws.
 */
export async function evaluateConditions(
  conditions: readonly Condition[] | undefined,
  ctx: ConditionContext,
): Promise<ConditionsResult> {
  for (const [index, condition] of (conditions ?? []).entries()) {
    let outcome: Outcome;
    try {
      outcome = await evaluateOne(condition, ctx.secrets[index] ?? [], ctx);
    } catch {
      outcome = fail('condition_value_malformed', 'the condition could not be checked');
    }
    if (!outcome.ok)
      return { ok: false, code: outcome.code, reason: `conditions[${index}] (${condition.type}): ${outcome.reason}` };
  }
  return { ok: true };
}
