/**
 * The `Subscription` resource (outbound lifecycle notifications): where events go, which ones,
 * how they are signed and retried, and for which runs. Validated wherever it enters: the
 * management API, `tempohook apply`, the settings file (TEMPOHOOK_SUBSCRIPTIONS_FILE).
 */
import { z } from 'zod';
import { filterSpec, MAX_FILTERS } from '../filters/filter-spec';
import { parseDurationSeconds } from './duration';
import { resourceName, secretRefSpec } from './references';

const durationSeconds = z
  .union([z.string(), z.number()])
  .refine(
    (v) => parseDurationSeconds(v) !== undefined,
    'must be a duration like "10s", "5m", "2h" or a number of seconds',
  )
  .transform((v) => parseDurationSeconds(v)!);

/** An event type (`workflow.completed`), a prefix (`step.*`) or `*`. */
const eventPattern = z
  .string()
  .min(1)
  .max(200)
  .regex(
    /^(\*|[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*(\.\*)?)$/,
    'must be "*", an event type like "workflow.completed" or a prefix like "step.*"',
  );

/** Headers we set ourselves; a subscription may not override them. */
const RESERVED_HEADERS =
  /^(content-type|content-length|host|user-agent|webhook-.*|x-tempohook-.*|transfer-encoding|connection)$/i;

export const subscriptionScope = z.union([
  z.literal('global'),
  /** Only runs started with memo `tempohookSubscriptions: ["<name>" or "<namespace>/<name>"]`. */
  z.literal('run'),
  z.object({ workflowType: z.string().min(1).max(255) }).strict(),
]);
export type SubscriptionScope = z.infer<typeof subscriptionScope>;

export const subscriptionRetrySpec = z
  .object({
    maximumAttempts: z.number().int().min(1).max(1000).optional(),
    initialInterval: durationSeconds.optional(),
    backoffCoefficient: z.number().min(1).max(10).optional(),
    maximumInterval: durationSeconds.optional(),
  })
  .strict();

export const subscriptionSpec = z
  .object({
    url: z
      .url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' })
      .max(2048)
      .refine(
        (u) => !/^https?:\/\/[^/]*@/.test(u),
        'must not carry credentials (user:password@); use headers or secretRef',
      ),
    events: z.array(eventPattern).min(1).max(100).default(['*']),
    filters: z
      .array(
        filterSpec.refine(
          (f) => f.path.startsWith('$'),
          'subscription filters are JSONPaths into the event envelope (e.g. $.workflow.type, $.data.activityType)',
        ),
      )
      .max(MAX_FILTERS)
      .optional(),
    /** Signing secrets; several during rotation: every one signs each delivery. */
    secretRef: secretRefSpec.optional(),
    scheme: z.enum(['standard-webhooks', 'hmac-sha256-hex']).default('standard-webhooks'),
    headers: z
      .record(
        z
          .string()
          .regex(/^[A-Za-z0-9-]{1,100}$/, 'must be a header name')
          .refine((h) => !RESERVED_HEADERS.test(h), 'is set by tempohook itself'),
        z.string().max(4096),
      )
      .optional(),
    /** Per-attempt timeout; default 10 s. */
    timeout: durationSeconds.refine((s) => s > 0 && s <= 300, 'must be between 1ms and 300s').optional(),
    retry: subscriptionRetrySpec.optional(),
    scope: subscriptionScope.default('global'),
    enabled: z.boolean().default(true),
    /** Disabled after this many deliveries in a row failed for good; default 50. */
    disableAfterFailures: z.number().int().min(1).max(100000).optional(),
  })
  .strict();

/** A subscription spec as written (defaults not yet applied). */
export type SubscriptionSpecInput = z.input<typeof subscriptionSpec>;
export type SubscriptionSpec = z.infer<typeof subscriptionSpec>;

export const subscriptionResource = z
  .object({
    apiVersion: z.literal('tempohook.dev/v1'),
    kind: z.literal('Subscription'),
    metadata: z.object({ name: resourceName, namespace: resourceName.optional() }).strict(),
    spec: subscriptionSpec,
  })
  .strict();

/** The settings file: a list of global subscriptions, each a spec with a name. */
export const subscriptionsSettings = z
  .object({
    subscriptions: z.array(z.object({ name: resourceName, ...subscriptionSpec.shape }).strict()).max(1000),
  })
  .strict();
