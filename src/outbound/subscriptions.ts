/**
 * Which subscriptions an event goes to. Candidates are the API's Subscription resources plus
 * the settings file's global list; for one run, a narrower scope (run > workflow type > global)
 * replaces wider ones for the same URL, then event patterns and filters decide. Pure, apart
 * from `createSubscriptionSource`, which reads the store.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { interpolateEnv } from '../resources/interpolate-env';
import { TempohookError } from '../errors';
import { applyFilters } from '../filters';
import { describeZodError } from '../resources/schemas';
import { SETTINGS_PREFIX, subscriptionSpec, type SubscriptionSpec } from '../resources/kinds/subscription';
import { subscriptionsSettings } from '../resources/subscription-schema';
import { subscriptionKey } from '../store/subscriptions-repository';
import type { Store, SubscriptionRecord } from '../store/types';
import type { DeliveryTarget, NotificationEnvelope } from '../workflows/notification-definitions';

export interface ResolvedSubscription {
  /** `<namespace>/<name>` for API resources, `settings/<name>` for the settings file. */
  key: string;
  name: string;
  /** Namespace of the resource; secrets resolve here (`default` for the settings file). */
  namespace: string;
  source: 'api' | 'settings';
  spec: SubscriptionSpec;
}

export const DEFAULT_TIMEOUT_SECONDS = 10;
export const DEFAULT_DISABLE_AFTER_FAILURES = 50;
/**
 * 10 s doubling to 2 h, 22 attempts: about 25 hours of retries, like Svix's schedule
 * (5 s … 10 h over ~28 h), so a receiver down for a day still gets everything.
 */
export const DEFAULT_RETRY = {
  maximumAttempts: 22,
  initialIntervalMs: 10_000,
  backoffCoefficient: 2,
  maximumIntervalMs: 2 * 3600_000,
} as const;

export function fromRecord(record: SubscriptionRecord): ResolvedSubscription {
  return {
    key: subscriptionKey(record.namespace, record.name),
    name: record.name,
    namespace: record.namespace,
    source: 'api',
    spec: subscriptionSpec.parse(record.spec),
  };
}

/** Reads TEMPOHOOK_SUBSCRIPTIONS_FILE (YAML or JSON, `subscriptions: [{name, url, …}]`), `${VAR}` interpolated. */
export function loadSubscriptionsFile(file: string, env: NodeJS.ProcessEnv = process.env): ResolvedSubscription[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TempohookError(
      'invalid_config',
      `TEMPOHOOK_SUBSCRIPTIONS_FILE: cannot read ${file} (${(err as Error).message}).`,
      500,
    );
  }
  const parsed = subscriptionsSettings.safeParse(interpolateEnv(parseYaml(text), env, file));
  if (!parsed.success)
    throw new TempohookError(
      'invalid_config',
      `TEMPOHOOK_SUBSCRIPTIONS_FILE ${file}: ${describeZodError(parsed.error).message}`,
      500,
    );
  const names = new Set<string>();
  return parsed.data.subscriptions.map(({ name, ...spec }) => {
    if (names.has(name))
      throw new TempohookError(
        'invalid_config',
        `TEMPOHOOK_SUBSCRIPTIONS_FILE ${file}: subscription "${name}" is listed twice.`,
        500,
      );
    names.add(name);
    return { key: `${SETTINGS_PREFIX}${name}`, name, namespace: 'default', source: 'settings', spec };
  });
}

/** `*`, an exact type, or a prefix written `step.*`. */
export function eventMatches(patterns: readonly string[], type: string): boolean {
  return patterns.some((p) => p === '*' || p === type || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))));
}

const RANK = { global: 0, workflowType: 1, run: 2 } as const;

/** How narrowly `sub` applies to the event's run, or undefined when it does not apply. */
function scopeRank(
  sub: ResolvedSubscription,
  envelope: NotificationEnvelope,
  runSubscriptions: readonly string[],
): number | undefined {
  const { scope } = sub.spec;
  if (scope === 'global') return RANK.global;
  if (scope === 'run')
    return runSubscriptions.includes(sub.name) || runSubscriptions.includes(sub.key) ? RANK.run : undefined;
  return envelope.workflow?.type === scope.workflowType ? RANK.workflowType : undefined;
}

function urlIdentity(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    return url;
  }
}

/** The subscriptions that get `envelope`, narrowest scope winning per URL. */
export function matchSubscriptions(
  candidates: readonly ResolvedSubscription[],
  envelope: NotificationEnvelope,
  runSubscriptions: readonly string[],
  disabled: ReadonlySet<string>,
): ResolvedSubscription[] {
  const byUrl = new Map<string, Array<{ sub: ResolvedSubscription; rank: number }>>();
  for (const sub of candidates) {
    if (!sub.spec.enabled || disabled.has(sub.key)) continue;
    const rank = scopeRank(sub, envelope, runSubscriptions);
    if (rank === undefined) continue;
    const url = urlIdentity(sub.spec.url);
    byUrl.set(url, [...(byUrl.get(url) ?? []), { sub, rank }]);
  }
  const chosen: ResolvedSubscription[] = [];
  for (const entries of byUrl.values()) {
    const narrowest = Math.max(...entries.map((e) => e.rank));
    for (const { sub, rank } of entries) {
      if (rank !== narrowest || !eventMatches(sub.spec.events, envelope.type)) continue;
      if (sub.spec.filters && !applyFilters(sub.spec.filters, { payload: envelope, headers: {} }).pass) continue;
      chosen.push(sub);
    }
  }
  return chosen;
}

/** The retry and timeout settings a delivery activity runs under. */
export function deliveryTarget(sub: ResolvedSubscription, deliveryId?: string): DeliveryTarget {
  const retry = sub.spec.retry ?? {};
  return {
    subscriptionKey: sub.key,
    ...(deliveryId ? { deliveryId } : {}),
    timeoutMs: Math.round((sub.spec.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000),
    retry: {
      maximumAttempts: retry.maximumAttempts ?? DEFAULT_RETRY.maximumAttempts,
      initialIntervalMs:
        retry.initialInterval === undefined
          ? DEFAULT_RETRY.initialIntervalMs
          : Math.max(1, Math.round(retry.initialInterval * 1000)),
      backoffCoefficient: retry.backoffCoefficient ?? DEFAULT_RETRY.backoffCoefficient,
      maximumIntervalMs:
        retry.maximumInterval === undefined
          ? DEFAULT_RETRY.maximumIntervalMs
          : Math.max(1, Math.round(retry.maximumInterval * 1000)),
    },
  };
}

/** API subscriptions from the store plus the settings file's. */
export interface SubscriptionSource {
  all(): Promise<ResolvedSubscription[]>;
  get(key: string): Promise<ResolvedSubscription | null>;
}

export function createSubscriptionSource(
  store: Pick<Store, 'subscriptions'>,
  settings: readonly ResolvedSubscription[] = [],
): SubscriptionSource {
  return {
    async all() {
      const records = await store.subscriptions.list();
      return [...settings, ...records.map(fromRecord)];
    },
    async get(key) {
      if (key.startsWith(SETTINGS_PREFIX)) return settings.find((s) => s.key === key) ?? null;
      const slash = key.indexOf('/');
      const record = await store.subscriptions.get(key.slice(0, slash), key.slice(slash + 1));
      return record ? fromRecord(record) : null;
    },
  };
}
