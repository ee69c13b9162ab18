/**
 * The declarative resources of tempohook (`apiVersion: tempohook.dev/v1`), validated with zod
 * wherever they enter: the management API, `tempohook apply`, the example files.
 */
import { z } from 'zod';
import { filtersSpec } from '../filters/filter-spec';
import { conditionsSpec } from './conditions-spec';
import { webhookProfileNames } from '../verify';
import { durationSpec } from './duration';
import { invalidPlaceholders } from './template';
import { MAX_JSON_DEPTH_LIMIT } from './json-limits';
import { resourceName, secretRefSpec, type SecretKeyRef } from './references';

export const API_VERSION = 'tempohook.dev/v1';
export const DEFAULT_NAMESPACE = 'default';
/** Largest body a webhook may accept: a run's input must stay under Temporal's 2 MB payload limit. */
export const MAX_BODY_BYTES_LIMIT = 1536 * 1024;

export { resourceName, type SecretKeyRef } from './references';

const metadata = z.object({ name: resourceName, namespace: resourceName.optional() }).strict();

const duration = durationSpec;

/** Conditions that prove who sent a delivery (`timestamp` and `rate-limit` do not). */
const AUTHENTICATING_CONDITIONS = new Set(['static-token', 'hmac', 'jwt', 'headers']);

const template = z
  .string()
  .min(1)
  .superRefine((value, ctx) => {
    const bad = invalidPlaceholders(value);
    if (bad.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown placeholder ${bad.map((b) => `{${b}}`).join(', ')}; use {namespace}, {webhook}, {eventId}, {deliveryId}, {source}, {profile}, {receivedAt}, {payload.<path>}, {header.<name>} or {normalized.<field>}`,
      });
    }
  });

export const webhookStartSpec = z
  .object({
    workflowType: z.string().min(1).max(255),
    taskQueue: z.string().min(1).max(255),
    /** Default `{namespace}/{webhook}/{eventId}`: deterministic, so a lost reservation cannot start a second run. */
    workflowId: template
      .max(1000)
      .refine(
        (t) => !/\{(deliveryId|receivedAt)\}/.test(t),
        'must not use {deliveryId} or {receivedAt}: they differ per delivery, so a redelivered event would start a second run',
      )
      .refine(
        (t) => !/\{header\./.test(t),
        'must not use {header.*}: headers such as timestamps and signatures differ per attempt; use {eventId} (set spec.eventIdHeader to take it from a header)',
      )
      .optional(),
    /** Extra input fields; strings are templates. Keys `webhook_*` are reserved. */
    input: z
      .record(z.string(), z.unknown())
      .refine(
        (input) => !Object.keys(input).some((key) => key.startsWith('webhook_')),
        'keys starting with "webhook_" are reserved for tempohook',
      )
      .optional(),
    memo: z.record(z.string(), z.unknown()).optional(),
    workflowExecutionTimeout: duration.optional(),
  })
  .strict();

/** Delivers verified deliveries to workflows waiting on this webhook (`waitForWebhook`). */
export const webhookSignalSpec = z
  .object({
    enabled: z.boolean(),
    /** Only runs of these workflow types are signaled (and may wait on this webhook); default any. */
    workflowTypes: z.array(z.string().min(1).max(255)).min(1).max(100).optional(),
    /** How long delivered payloads are kept for `since` look-ups; default 24h. */
    payloadRetention: duration.optional(),
  })
  .strict();

/** Default of spec.signal.payloadRetention, in seconds. */
export const DEFAULT_PAYLOAD_RETENTION_SECONDS = 24 * 3600;

export const webhookSpec = z
  .object({
    profile: z.string().refine((p) => webhookProfileNames.includes(p), {
      message: `unknown profile; use one of: ${webhookProfileNames.join(', ')}`,
    }),
    /** One secret, or several during rotation (any one verifies). Optional only for profile `custom`. */
    secretRef: secretRefSpec.optional(),
    /** Header carrying the event id, when the profile's default does not fit. */
    eventIdHeader: z.string().min(1).max(100).optional(),
    dedupWindow: duration.optional(),
    timestampTolerance: duration.optional(),
    /** Largest accepted body; default 1 MiB. */
    // Temporal refuses payloads over 2 MB, so larger bodies could never start a run.
    maxBodyBytes: z
      .number()
      .int()
      .min(1)
      .max(MAX_BODY_BYTES_LIMIT, `must be at most ${MAX_BODY_BYTES_LIMIT} bytes: Temporal refuses larger payloads`)
      .optional(),
    /** Bounds on what a delivery may send beyond its size. */
    limits: z
      .object({
        /** Deepest JSON nesting accepted (default TEMPOHOOK_MAX_JSON_DEPTH, 128); deeper bodies get 400 payload_too_deep. */
        maxDepth: z.number().int().min(1).max(MAX_JSON_DEPTH_LIMIT).optional(),
      })
      .strict()
      .optional(),
    /** Conditions on the payload, headers or normalized view; a delivery failing one is ignored (202). */
    filters: filtersSpec.optional(),
    /** Checks on top of the profile's signature (all must hold); a delivery failing one is a 401. */
    conditions: conditionsSpec.optional(),
    start: webhookStartSpec.optional(),
    signal: webhookSignalSpec.optional(),
  })
  .strict()
  .refine((spec) => spec.profile === 'custom' || spec.secretRef !== undefined, {
    message: `profile needs spec.secretRef (only profile "custom" may omit it)`,
    path: ['secretRef'],
  })
  .refine(
    (spec) => spec.profile !== 'custom' || (spec.conditions ?? []).some((c) => AUTHENTICATING_CONDITIONS.has(c.type)),
    {
      message:
        'profile "custom" verifies no signature itself: list at least one static-token, hmac, jwt or headers condition in spec.conditions',
      path: ['conditions'],
    },
  )
  .refine((spec) => spec.start !== undefined || spec.signal?.enabled === true, {
    message:
      'a webhook needs an action: set spec.start (start a run), spec.signal: {enabled: true} (resume waiting runs), or both',
    path: ['start'],
  });

export type WebhookSpec = z.infer<typeof webhookSpec>;
export type WebhookStartSpec = z.infer<typeof webhookStartSpec>;
export type WebhookSignalSpec = z.infer<typeof webhookSignalSpec>;

export const webhookResource = z
  .object({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal('Webhook'),
    metadata,
    spec: webhookSpec,
  })
  .strict();

export const secretResource = z
  .object({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal('Secret'),
    metadata,
    spec: z
      .object({
        stringData: z.record(z.string().min(1).max(253), z.string().min(1).max(65536)).optional(),
        /** Base64 values, as in Kubernetes Secrets. */
        data: z.record(z.string().min(1).max(253), z.string().base64()).optional(),
      })
      .strict()
      .refine(
        (s) => Object.keys({ ...s.data, ...s.stringData }).length > 0,
        'a secret needs at least one key in spec.stringData or spec.data',
      ),
  })
  .strict();

export type WebhookResource = z.infer<typeof webhookResource>;
export type SecretResource = z.infer<typeof secretResource>;

/** The secret references of a webhook spec as a list. */
export function secretRefs(spec: Pick<WebhookSpec, 'secretRef'>): SecretKeyRef[] {
  if (spec.secretRef === undefined) return [];
  return Array.isArray(spec.secretRef) ? spec.secretRef : [spec.secretRef];
}

/** Flattens a zod error into `path: message` lines and a list for API clients. */
export function describeZodError(error: z.ZodError): {
  message: string;
  issues: Array<{ path: string; message: string }>;
} {
  const issues = error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
  return { message: issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues };
}

export { subscriptionResource, subscriptionSpec, type SubscriptionSpec } from './subscription-schema';
