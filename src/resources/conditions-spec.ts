/**
 * `spec.conditions`: checks a delivery must pass on top of (or, with profile `custom`, instead
 * of) the profile's signature. Every condition must hold (Valohai's model).
 */
import { z } from 'zod';
import { durationSpec } from './duration';
import { secretRefSpec } from './references';

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const headerName = z.string().min(1).max(100).regex(HEADER_NAME, 'must be an HTTP header name');

/** Where a value is read: a header, a query parameter of the URL, a field of a URL-encoded body, or a top-level key of a JSON body. */
export const lookupSpec = z
  .object({
    in: z.enum(['header', 'query', 'form', 'json']),
    name: z.string().min(1).max(200),
  })
  .strict()
  .refine((lookup) => lookup.in !== 'header' || HEADER_NAME.test(lookup.name), {
    message: 'must be an HTTP header name',
    path: ['name'],
  });
export type LookupSpec = z.infer<typeof lookupSpec>;

/** Text stripped from the front of the value before it is checked (e.g. `"Bearer "`, `"sha256="`); it must be present. */
const prefix = z.string().min(1).max(100);

const BASESTRING_PLACEHOLDER = /\{([^{}]*)\}/g;
const KNOWN_PLACEHOLDER = /^(?:body|header:[!#$%&'*+.^_`|~0-9A-Za-z-]+|query:[^{}]+)$/;

/** The placeholders of an HMAC basestring that are not `{body}`, `{header:Name}` or `{query:name}`. */
export function unknownBasestringPlaceholders(template: string): string[] {
  return [...template.matchAll(BASESTRING_PLACEHOLDER)]
    .map((m) => m[1]!)
    .filter((name) => !KNOWN_PLACEHOLDER.test(name));
}

const staticTokenCondition = z
  .object({ type: z.literal('static-token'), lookup: lookupSpec, prefix: prefix.optional(), secretRef: secretRefSpec })
  .strict();

const hmacCondition = z
  .object({
    type: z.literal('hmac'),
    lookup: lookupSpec,
    prefix: prefix.optional(),
    algorithm: z.enum(['sha1', 'sha256', 'sha512']),
    encoding: z.enum(['hex', 'base64']),
    /** The signed bytes: `{body}` (raw), `{header:Name}`, `{query:name}` and literal text. Default `{body}`. */
    basestring: z
      .string()
      .min(1)
      .max(1000)
      .superRefine((value, ctx) => {
        const bad = unknownBasestringPlaceholders(value);
        if (bad.length > 0)
          ctx.addIssue({
            code: 'custom',
            message: `unknown placeholder ${bad.map((b) => `{${b}}`).join(', ')}; use {body}, {header:Name} or {query:name}`,
          });
      })
      .optional(),
    secretRef: secretRefSpec,
  })
  .strict();

const jwtCondition = z
  .object({
    type: z.literal('jwt'),
    /** Default: header `Authorization` with prefix `"Bearer "`. */
    lookup: lookupSpec.optional(),
    prefix: prefix.optional(),
    /** Pinned: a token signed with any other algorithm (or `none`) fails. */
    algorithms: z
      .array(z.enum(['HS256', 'RS256', 'ES256', 'EdDSA']))
      .min(1)
      .max(4),
    /** The HS256 shared secret, or a public key as PEM SPKI or JWK JSON. */
    secretRef: secretRefSpec,
    issuer: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    clockToleranceSeconds: z.number().int().min(0).max(3600).optional(),
  })
  .strict();

const headersCondition = z
  .object({
    type: z.literal('headers'),
    /** Every header must be present and equal to its value (compared in constant time). */
    headers: z
      .record(headerName, z.string().min(1).max(4096))
      .refine((h) => Object.keys(h).length > 0, 'list at least one header'),
  })
  .strict();

const timestampCondition = z
  .object({
    type: z.literal('timestamp'),
    lookup: lookupSpec,
    toleranceSeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600),
    /** `auto` (default) reads values ≥ 1e11 as milliseconds. */
    unit: z.enum(['auto', 's', 'ms']).optional(),
  })
  .strict();

const rateLimitWindow = z
  .object({
    /** Window length, whole seconds from 1 s to 31 d; windows are aligned on the epoch (a `1d` window is a UTC day). */
    period: durationSpec.refine(
      (s) => Number.isInteger(s) && s >= 1 && s <= 31 * 86400,
      'must be whole seconds between 1s and 31d',
    ),
    /** Deliveries allowed per window. */
    quota: z.number().int().min(1).max(1_000_000_000),
  })
  .strict();

/**
 * Caps verified deliveries per webhook in one or more fixed windows, counted in Postgres so all
 * ingress replicas share them; over quota the answer is 429 with Retry-After. Checked after every
 * other condition, so unauthenticated requests cannot spend the quota.
 */
const rateLimitCondition = z
  .object({
    type: z.literal(['rate-limit', 'rateLimit']),
    limits: z
      .array(rateLimitWindow)
      .min(1)
      .max(5)
      .refine((limits) => new Set(limits.map((l) => l.period)).size === limits.length, 'give each period once'),
  })
  .strict();

export const conditionSpec = z.discriminatedUnion('type', [
  staticTokenCondition,
  hmacCondition,
  jwtCondition,
  headersCondition,
  timestampCondition,
  rateLimitCondition,
]);
export type Condition = z.infer<typeof conditionSpec>;
export type StaticTokenCondition = z.infer<typeof staticTokenCondition>;
export type HmacCondition = z.infer<typeof hmacCondition>;
export type JwtCondition = z.infer<typeof jwtCondition>;
export type RateLimitCondition = z.infer<typeof rateLimitCondition>;

/** The `rate-limit` condition (`rateLimit` is accepted as its other spelling). */
export function isRateLimitCondition(condition: Condition): condition is RateLimitCondition {
  return condition.type === 'rate-limit' || condition.type === 'rateLimit';
}

/** `spec.conditions`: all must hold. */
export const conditionsSpec = z.array(conditionSpec).min(1).max(20);
export type ConditionsSpec = z.infer<typeof conditionsSpec>;
