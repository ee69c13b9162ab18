/**
 * The `Webhook` kind (inbound): how deliveries are verified (profile, secrets, conditions), which
 * are accepted (filters), and what they do in Temporal (`start` a run, `signal` waiting runs).
 * Its status is the endpoint a provider calls and what the last deliveries did.
 */
import { z } from 'zod';
import { conditionsSpec } from '../conditions-spec';
import { filtersSpec } from '../../filters/filter-spec';
import type { WebhookRecord } from '../../store/types';
import { webhookProfileNames } from '../../verify';
import { durationSpec } from '../duration';
import { API_VERSION, resourceSchema } from '../envelope';
import { secretRefSpec } from '../references';
import { MAX_JSON_DEPTH_LIMIT } from '../json-limits';
import { routesSpecs } from '../route-schema';
import { invalidPlaceholders } from '../template';
import { defineKind, shortTime, type PrintContext } from './define-kind';

/** Largest body a webhook may accept: a run's input must stay under Temporal's 2 MB payload limit. */
export const MAX_BODY_BYTES_LIMIT = 1536 * 1024;

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
    workflowExecutionTimeout: durationSpec.optional(),
  })
  .strict();

const { routes: webhookRoutesSpec, mode: webhookModeSpec } = routesSpecs(webhookStartSpec);
export { webhookRoutesSpec };

/** Delivers verified deliveries to workflows waiting on this webhook (`waitForWebhook`). */
export const webhookSignalSpec = z
  .object({
    enabled: z.boolean(),
    /** Only runs of these workflow types are signaled (and may wait on this webhook); default any. */
    workflowTypes: z.array(z.string().min(1).max(255)).min(1).max(100).optional(),
    /** How long delivered payloads are kept for `since` look-ups; default 24h. */
    payloadRetention: durationSpec.optional(),
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
    dedupWindow: durationSpec.optional(),
    timestampTolerance: durationSpec.optional(),
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
    /** One run per delivery: the single catch-all route (named `start`) of a webhook without `routes`. */
    start: webhookStartSpec.optional(),
    /** Routes in order, each with a condition and an action (`start` or `signalWithStart`). */
    routes: webhookRoutesSpec.optional(),
    /** `first` (default): the first matching route acts; `all`: every matching route does (fan-out). */
    mode: webhookModeSpec.optional(),
    signal: webhookSignalSpec.optional(),
    /**
     * How long this webhook's delivery log is kept (default TEMPOHOOK_DELIVERY_RETENTION, 30d), and
     * the raw bodies and headers of its verified deliveries (default TEMPOHOOK_PAYLOAD_RETENTION,
     * 7d; `0` keeps none).
     */
    retention: z.object({ deliveries: durationSpec.optional(), payloads: durationSpec.optional() }).strict().optional(),
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
  .refine((spec) => spec.start === undefined || spec.routes === undefined, {
    message:
      'use spec.routes or spec.start, not both: spec.start is the catch-all route; add it to spec.routes as a last route without `when`',
    path: ['start'],
  })
  .refine((spec) => spec.mode === undefined || spec.routes !== undefined, {
    message: 'spec.mode chooses among spec.routes; set spec.routes or remove spec.mode',
    path: ['mode'],
  })
  .refine((spec) => spec.start !== undefined || spec.routes !== undefined || spec.signal?.enabled === true, {
    message:
      'a webhook needs an action: set spec.start (start a run), spec.routes (start or feed workflows by event), spec.signal: {enabled: true} (resume waiting runs), or several',
    path: ['start'],
  });

export type WebhookSpec = z.infer<typeof webhookSpec>;
export type WebhookStartSpec = z.infer<typeof webhookStartSpec>;
export type WebhookSignalSpec = z.infer<typeof webhookSignalSpec>;
export type WebhookRouteSpec = z.infer<typeof webhookRoutesSpec>[number];
export type WebhookRouteMode = NonNullable<WebhookSpec['mode']>;

/** A webhook spec as written (durations not yet parsed): what the store keeps and the API returns. */
export type WebhookSpecInput = z.input<typeof webhookSpec>;

export const webhookResource = resourceSchema('Webhook', webhookSpec);
export type WebhookResource = z.infer<typeof webhookResource>;

/** The path a provider posts deliveries to; the endpoint id is random, so the path is unguessable. */
export function endpointPath(endpointId: string): string {
  return `/v1/webhook-deliveries/${endpointId}`;
}

/** A webhook as the API shows it: the spec as applied, the endpoint, and what its deliveries did. */
export function presentWebhook(record: WebhookRecord, context: { publicUrl?: string } = {}) {
  const path = endpointPath(record.endpointId);
  return {
    apiVersion: API_VERSION,
    kind: 'Webhook' as const,
    metadata: {
      name: record.name,
      namespace: record.namespace,
      uid: record.id,
      generation: record.generation,
      createdAt: record.createdAt.toISOString(),
      updatedAt: record.updatedAt.toISOString(),
    },
    // Stored as written, and valid when it was applied.
    spec: record.spec as WebhookSpecInput,
    status: {
      endpointPath: path,
      ...(context.publicUrl ? { url: `${context.publicUrl.replace(/\/$/, '')}${path}` } : {}),
      verified: record.verified,
      lastDeliveryAt: record.lastDeliveryAt?.toISOString() ?? null,
      lastError: record.lastError,
      lastErrorAt: record.lastErrorAt?.toISOString() ?? null,
      deliveriesAccepted: record.deliveriesAccepted,
      deliveriesRejected: record.deliveriesRejected,
    },
  };
}
export type WebhookView = ReturnType<typeof presentWebhook>;

/** The URL a provider should call: the ingress's public URL when it knows one, else the one the CLI talks to. */
export function webhookUrl(webhook: WebhookView, context: PrintContext): string {
  return webhook.status.url ?? `${context.baseUrl}${webhook.status.endpointPath}`;
}

function routesText(routes: WebhookSpecInput['routes'] & unknown[], mode: string | undefined): string {
  const each = routes.map((r) => {
    const action = r.start
      ? `start ${r.start.workflowType}`
      : `signalWithStart ${r.signalWithStart?.workflowType} ${r.signalWithStart?.workflowId}`;
    const condition = r.when ? ` when ${r.when}` : r.match ? ` match ${JSON.stringify(r.match)}` : '';
    return `${r.name}: ${action}${condition}`;
  });
  return `${mode ?? 'first'} matching of ${routes.length}: ${each.join('; ')}`;
}

function secretRefText(ref: unknown): string | undefined {
  if (ref === undefined || ref === null) return undefined;
  const refs = Array.isArray(ref) ? ref : [ref];
  return refs
    .map((r) =>
      typeof r === 'string'
        ? r
        : r && typeof r === 'object'
          ? `${(r as { name?: string }).name}/${(r as { key?: string }).key}`
          : String(r),
    )
    .join(', ');
}

export const webhookKind = defineKind({
  kind: 'Webhook',
  schema: webhookResource,
  words: {
    singular: 'webhook',
    plural: 'webhooks',
    aliases: ['wh'],
    listHelp: 'list webhooks (every namespace unless -n)',
    getHelp: 'one webhook: spec, endpoint, status, last error',
    deleteHelp: 'its endpoint stops answering at once',
  },
  repository: (store) => ({
    ...store.webhooks,
    async apply(namespace, name, _resource, written) {
      // Store the spec as written (durations stay "24h"); it is parsed again where it is used.
      const { webhook, created } = await store.webhooks.apply(namespace, name, written as Record<string, unknown>);
      return { record: webhook, created };
    },
  }),
  present: presentWebhook,
  columns: [
    { header: 'NAME', cell: (w) => w.metadata.name },
    { header: 'NAMESPACE', cell: (w) => w.metadata.namespace },
    { header: 'PROFILE', cell: (w) => w.spec.profile },
    { header: 'ENDPOINT', cell: (w) => w.status.url ?? w.status.endpointPath, maxWidth: 120 },
    { header: 'VERIFIED', cell: (w) => (w.status.verified ? 'yes' : 'no') },
    { header: 'LAST-DELIVERY', cell: (w) => shortTime(w.status.lastDeliveryAt) ?? 'never' },
  ],
  details: (webhook, context) => {
    const { metadata, spec, status } = webhook;
    return [
      ['Name', metadata.name],
      ['Namespace', metadata.namespace],
      ['Profile', spec.profile],
      ['Endpoint', `POST ${webhookUrl(webhook, context)}`],
      ['Secret refs', secretRefText(spec.secretRef) ?? 'none (verified by spec.conditions)'],
      [
        'Conditions',
        Array.isArray(spec.conditions) && spec.conditions.length > 0
          ? spec.conditions.map((c) => c.type).join(', ')
          : undefined,
      ],
      ['Start', spec.start ? `workflow ${spec.start.workflowType} on task queue ${spec.start.taskQueue}` : undefined],
      ['Routes', Array.isArray(spec.routes) ? routesText(spec.routes, spec.mode) : undefined],
      ['Workflow id', spec.start ? (spec.start.workflowId ?? '{namespace}/{webhook}/{eventId} (default)') : undefined],
      ['Event id header', spec.eventIdHeader],
      ['Dedup window', spec.dedupWindow],
      ['Timestamp tolerance', spec.timestampTolerance],
      ['Max body bytes', spec.maxBodyBytes],
      ['Verified', status.verified ? 'yes' : 'no (no delivery has passed verification yet)'],
      ['Last delivery', shortTime(status.lastDeliveryAt) ?? 'never'],
      [
        'Last error',
        status.lastError
          ? `${status.lastError}${status.lastErrorAt ? ` (at ${shortTime(status.lastErrorAt)})` : ''}`
          : 'none',
      ],
      ['Deliveries', `${status.deliveriesAccepted} accepted, ${status.deliveriesRejected} rejected`],
      ['Generation', metadata.generation],
      ['Created', shortTime(metadata.createdAt)],
      ['Updated', shortTime(metadata.updatedAt)],
    ];
  },
  appliedNote: (webhook, context) => `: POST ${webhookUrl(webhook, context)}`,
});
