/**
 * The `Subscription` kind (outbound lifecycle notifications): where events go, which ones, how
 * they are signed and retried, and for which runs. Besides the API's resources, the workers'
 * settings file (TEMPOHOOK_SUBSCRIPTIONS_FILE) defines subscriptions the ingress never reads: it
 * shows them read-only in namespace `settings`, from the status the workers record.
 */
import { z } from 'zod';
import { TempohookError } from '../../errors';
import { filterSpec, MAX_FILTERS } from '../../filters/filter-spec';
import { subscriptionKey } from '../../store/subscriptions-repository';
import type { Store, SubscriptionRecord, SubscriptionStatusRecord } from '../../store/types';
import { durationSpec } from '../duration';
import { API_VERSION, resourceSchema } from '../envelope';
import { secretRefSpec } from '../references';
import { defineKind, shortTime } from './define-kind';

/** The API shows settings-file subscriptions, read-only, in this namespace; their status key is `settings/<name>`. */
export const SETTINGS_NAMESPACE = 'settings';
export const SETTINGS_PREFIX = `${SETTINGS_NAMESPACE}/`;

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
    initialInterval: durationSpec.optional(),
    backoffCoefficient: z.number().min(1).max(10).optional(),
    maximumInterval: durationSpec.optional(),
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
    timeout: durationSpec.refine((s) => s > 0 && s <= 300, 'must be between 1ms and 300s').optional(),
    retry: subscriptionRetrySpec.optional(),
    scope: subscriptionScope.default('global'),
    enabled: z.boolean().default(true),
    /** Disabled after this many deliveries in a row failed for good; default 50. */
    disableAfterFailures: z.number().int().min(1).max(100000).optional(),
    /** How long its notification deliveries and attempts are kept (default TEMPOHOOK_NOTIFICATION_RETENTION, 30d). */
    retention: z.object({ deliveries: durationSpec.optional() }).strict().optional(),
  })
  .strict();

/** A subscription spec as written (defaults not yet applied). */
export type SubscriptionSpecInput = z.input<typeof subscriptionSpec>;
export type SubscriptionSpec = z.infer<typeof subscriptionSpec>;

export const subscriptionResource = resourceSchema('Subscription', subscriptionSpec);

/** A subscription as the API knows it: a resource with its delivery status, or a settings-file one (status only). */
export type SubscriptionState =
  | { source: 'api'; record: SubscriptionRecord; status: SubscriptionStatusRecord | null }
  | { source: 'settings'; name: string; status: SubscriptionStatusRecord };

function presentStatus(enabled: boolean, status: SubscriptionStatusRecord | null) {
  return {
    state: !enabled ? 'paused' : status?.disabledAt ? 'disabled' : 'active',
    disabledAt: status?.disabledAt?.toISOString() ?? null,
    disabledReason: status?.disabledReason ?? null,
    consecutiveFailures: status?.consecutiveFailures ?? 0,
    lastDeliveryAt: status?.lastDeliveryAt?.toISOString() ?? null,
    lastStatus: status?.lastStatus ?? null,
    lastError: status?.lastError ?? null,
    deliveriesSucceeded: status?.deliveriesSucceeded ?? 0,
    deliveriesFailed: status?.deliveriesFailed ?? 0,
  };
}

/**
 * A subscription as the API shows it. A settings-file one has no spec (the ingress never reads
 * the file), and one the file pauses still shows as active.
 */
export function presentSubscription(state: SubscriptionState) {
  if (state.source === 'settings')
    return {
      apiVersion: API_VERSION,
      kind: 'Subscription' as const,
      metadata: { name: state.name, namespace: SETTINGS_NAMESPACE, source: 'settings' as const },
      spec: null,
      status: presentStatus(true, state.status),
    };
  const { record, status } = state;
  return {
    apiVersion: API_VERSION,
    kind: 'Subscription' as const,
    metadata: {
      name: record.name,
      namespace: record.namespace,
      source: 'api' as const,
      generation: record.generation,
      createdAt: record.createdAt.toISOString(),
      updatedAt: record.updatedAt.toISOString(),
    },
    // Stored as written, and valid when it was applied.
    spec: record.spec as SubscriptionSpecInput,
    status: presentStatus(record.spec.enabled !== false, status),
  };
}
export type SubscriptionView = ReturnType<typeof presentSubscription>;

/** Settings-file subscriptions are read-only here: the ingress never reads that file. */
export function refuseSettingsNamespace(namespace: string, advice: string): void {
  if (namespace !== SETTINGS_NAMESPACE) return;
  throw new TempohookError(
    'settings_read_only',
    `Namespace ${SETTINGS_NAMESPACE} shows the workers' TEMPOHOOK_SUBSCRIPTIONS_FILE subscriptions, read-only (the ingress never reads that file): ${advice}`,
    400,
  );
}

const EDIT_THE_FILE = 'edit the file and restart the workers, or use another namespace.';

/** Resources from the store with their status; namespace `settings` from the statuses workers announced. */
function subscriptionStates(store: Store) {
  const withStatus = async (record: SubscriptionRecord): Promise<SubscriptionState> => ({
    source: 'api',
    record,
    status: await store.subscriptions.status(subscriptionKey(record.namespace, record.name)),
  });
  const fromSettings = (status: SubscriptionStatusRecord): SubscriptionState => ({
    source: 'settings',
    name: status.key.slice(SETTINGS_PREFIX.length),
    status,
  });
  return {
    async apply(namespace: string, name: string, _resource: unknown, written: unknown) {
      refuseSettingsNamespace(namespace, EDIT_THE_FILE);
      const { subscription, created } = await store.subscriptions.apply(
        namespace,
        name,
        written as Record<string, unknown>,
      );
      return { record: await withStatus(subscription), created };
    },
    async get(namespace: string, name: string): Promise<SubscriptionState | null> {
      if (namespace === SETTINGS_NAMESPACE) {
        const status = await store.subscriptions.status(subscriptionKey(namespace, name));
        return status ? fromSettings(status) : null;
      }
      const record = await store.subscriptions.get(namespace, name);
      return record ? withStatus(record) : null;
    },
    async list(namespace?: string): Promise<SubscriptionState[]> {
      const records = namespace === SETTINGS_NAMESPACE ? [] : await store.subscriptions.list(namespace);
      const settings =
        namespace === undefined || namespace === SETTINGS_NAMESPACE
          ? await store.subscriptions.statuses(SETTINGS_PREFIX)
          : [];
      return [...(await Promise.all(records.map(withStatus))), ...settings.map(fromSettings)];
    },
    async delete(namespace: string, name: string) {
      refuseSettingsNamespace(namespace, EDIT_THE_FILE);
      return store.subscriptions.delete(namespace, name);
    },
  };
}

const scopeText = (scope: unknown) =>
  typeof scope === 'object' && scope !== null
    ? `workflowType=${(scope as { workflowType: string }).workflowType}`
    : typeof scope === 'string'
      ? scope
      : 'global';

export const subscriptionKind = defineKind({
  kind: 'Subscription',
  schema: subscriptionResource,
  words: {
    singular: 'subscription',
    plural: 'subscriptions',
    aliases: ['sub'],
    listHelp: 'outbound subscriptions and their state',
    getHelp: "(-n settings: the workers' TEMPOHOOK_SUBSCRIPTIONS_FILE ones)",
    deleteHelp: 'its events are no longer sent',
  },
  repository: subscriptionStates,
  present: presentSubscription,
  notFound: (namespace, name) =>
    namespace === SETTINGS_NAMESPACE
      ? `No worker has announced a settings-file subscription ${name}: workers announce their TEMPOHOOK_SUBSCRIPTIONS_FILE entries when they start.`
      : `Subscription ${name} not found in namespace ${namespace}.`,
  columns: [
    { header: 'NAME', cell: (s) => s.metadata.name },
    { header: 'NAMESPACE', cell: (s) => s.metadata.namespace },
    { header: 'URL', cell: (s) => s.spec?.url ?? '(settings file)', maxWidth: 80 },
    { header: 'EVENTS', cell: (s) => (s.spec ? (s.spec.events ?? ['*']).join(',') : null), maxWidth: 40 },
    { header: 'SCOPE', cell: (s) => (s.spec ? scopeText(s.spec.scope) : 'global') },
    { header: 'STATE', cell: (s) => s.status.state },
    { header: 'FAILURES', cell: (s) => s.status.consecutiveFailures },
    { header: 'LAST-DELIVERY', cell: (s) => shortTime(s.status.lastDeliveryAt) ?? 'never' },
  ],
});
