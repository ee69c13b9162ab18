/**
 * `waitForWebhook`: pause a workflow until a matching verified delivery arrives. Workflow-safe.
 *
 * The wait is registered through an activity (TempohookPlugin registers it), then the run awaits
 * the `tempohook.webhook` signal the ingress sends for that wait id, or the timeout. Signals are
 * not deduplicated by Temporal, and one event may be signaled more than once (a provider's retry
 * takes over the claim of an attempt whose ingress died; the sweeper finishes old claims), so a
 * wait takes the first delivery signaled for it and ignores any other; a signal that does not fit
 * the schema is logged and ignored, never thrown.
 * Timeout, cancellation and the run's close remove the wait (under a non-cancellable scope).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  getCurrentDetails,
  isCancellation,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { msToNumber, type Duration } from '@temporalio/common/lib/time';
import type { WaitActivities } from '../activities/waits';
import {
  openWaitsQuery,
  WaitFailureType,
  waitingForSearchAttribute,
  webhookDeliveredSignal,
  type OpenWait,
  type WebhookDelivery,
  type WebhookDeliveredSignalInput,
} from './definitions';
import { deliverWebhookEvent, isWebhookDelivery, isWebhookEventSignal } from './on-webhook';

export interface WaitForWebhookOptions {
  /**
   * Path → expected value; all must hold (deep JSON equality). Paths are definite JSONPaths into
   * the payload (`$.repository.full_name`, `$.items[0].id`, `$['a b']`) or `headers.<name>`.
   * `{}` matches every delivery of the webhook.
   */
  match: Record<string, unknown>;
  /** A CEL expression over `payload`, `headers`, `source`, `eventId` and `vars` that must be true too. */
  if?: string;
  /** Values of this workflow the `if` may read as `vars.<name>`. */
  vars?: Record<string, unknown>;
  /** How long to wait (`'10m'`, `'2 days'`, or ms); default: until a delivery comes. */
  timeout?: Duration;
  /**
   * Which deliveries count: `'registration'` (default, only later ones), `'workflowStart'` (any
   * since the workflow execution chain started, continue-as-new included), or a duration
   * back from now. Earlier deliveries come from the payload log (spec.signal.payloadRetention).
   */
  since?: 'registration' | 'workflowStart' | Duration;
  /** tempohook namespace of the webhook (default `default`). */
  namespace?: string;
}

/** A delivery resolved the wait; `T` types the payload (unchecked). */
export type WebhookWaitDelivered<T = unknown> = WebhookDelivery<T> & { timedOut: false; waitId: string };
/** No matching delivery before the timeout. */
export interface WebhookWaitTimedOut {
  timedOut: true;
  waitId: string;
  webhook: string;
}
/** Branch on `timedOut`. */
export type WaitForWebhookResult<T = unknown> = WebhookWaitDelivered<T> | WebhookWaitTimedOut;

const { tempohookRegisterWait, tempohookRemoveWaits } = proxyActivities<WaitActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

interface PendingWait {
  info: OpenWait;
  delivery?: WebhookDelivery;
}

/** How long a timed-out wait that a delivery had claimed waits for that delivery's signal. */
const CLAIMED_SIGNAL_GRACE_MS = 30_000;

/** This run's waits, by wait id (module state is per workflow run in Temporal's sandbox). */
const pending = new Map<string, PendingWait>();
/** The event each resolved wait of this run took, so another attempt of it is told from a stray signal. */
const resolvedEvents = new Map<string, string>();
let detailsBeforeWaiting: string | undefined;
let advertised = '';

function invalidWait(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, WaitFailureType.invalidWait);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function fitsSignal(input: unknown): input is WebhookDeliveredSignalInput {
  return isRecord(input) && typeof input.waitId === 'string' && isWebhookDelivery(input.delivery);
}

/** One handler for `tempohook.webhook`: a wait's delivery (with `waitId`) or an entity's (`onWebhook`). */
function onDelivered(input: unknown): void | Promise<void> {
  if (isWebhookEventSignal(input)) return deliverWebhookEvent(input);
  if (!fitsSignal(input)) {
    log.warn(
      'tempohook: ignored a tempohook.webhook signal that does not fit its schema ({waitId, delivery: {deliveryId, eventId, receivedAt, source, payload, headers}} or {delivery, webhook, route})',
    );
    return;
  }
  const wait = pending.get(input.waitId);
  const taken = wait?.delivery?.eventId ?? resolvedEvents.get(input.waitId);
  const fields = { waitId: input.waitId, deliveryId: input.delivery.deliveryId, eventId: input.delivery.eventId };
  if (taken === input.delivery.eventId) {
    log.debug('tempohook: ignored another attempt of the event that resolved the wait', fields);
    return;
  }
  if (!wait) {
    log.info('tempohook: ignored a delivery for a wait that is no longer open', fields);
    return;
  }
  if (wait.delivery) {
    log.info('tempohook: ignored a second delivery for a resolved wait', fields);
    return;
  }
  wait.delivery = input.delivery;
}

/** Sets the signal and query handlers (idempotent); the plugin's interceptor does it at run start. */
export function installWaitHandlers(): void {
  setHandler(webhookDeliveredSignal, onDelivered);
  setHandler(openWaitsQuery, () => [...pending.values()].filter((w) => !w.delivery).map((w) => w.info));
}

function describeWait(info: OpenWait): string {
  const match = Object.entries(info.match).map(([path, value]) => `${path} = ${JSON.stringify(value)}`);
  if (info.if) match.push(`if ${info.if}`);
  return `- \`${info.webhook}\`${match.length ? ` where ${match.join(', ')}` : ''}${info.timeoutAt ? ` (until ${info.timeoutAt})` : ''}`;
}

/** Search attribute TempohookWaitingFor and the run's current details follow the open waits. */
function refreshVisibility(): void {
  const open = [...pending.values()].filter((w) => !w.delivery).map((w) => w.info);
  const webhooks = [...new Set(open.map((w) => w.webhook))].sort();
  const key = webhooks.join('\n');
  if (key !== advertised) {
    upsertSearchAttributes([{ key: waitingForSearchAttribute, value: webhooks.length > 0 ? webhooks : null }]);
    advertised = key;
  }
  if (open.length > 0) {
    detailsBeforeWaiting ??= getCurrentDetails();
    setCurrentDetails(
      [
        `**Waiting for ${open.length === 1 ? 'a webhook' : `${open.length} webhooks`}** (tempohook)`,
        ...open.map(describeWait),
      ].join('\n'),
    );
  } else if (detailsBeforeWaiting !== undefined) {
    setCurrentDetails(detailsBeforeWaiting);
    detailsBeforeWaiting = undefined;
  }
}

/** Removes waits no delivery claimed; returns the ids a delivery had already claimed (their signal is on its way). */
async function removeWaits(waitIds: string[]): Promise<string[]> {
  return (await CancellationScope.nonCancellable(() => tempohookRemoveWaits({ waitIds }))).claimed;
}

/**
 * Removes the waits still open when the run closes (a `Promise.race` loser, continue-as-new).
 * Issues no command when none is open, so histories without waits replay unchanged.
 */
export async function removeOpenWaitsOnClose(): Promise<void> {
  const open = [...pending.keys()];
  if (open.length === 0) return;
  for (const id of open) pending.delete(id);
  refreshVisibility();
  await removeWaits(open);
}

function sinceMs(since: WaitForWebhookOptions['since'], now: number): number | undefined {
  if (since === undefined || since === 'registration') return undefined;
  if (since === 'workflowStart') return workflowInfo().startTime.getTime();
  let ms: number;
  try {
    ms = msToNumber(since);
  } catch {
    throw invalidWait(
      `since must be "registration", "workflowStart" or a duration such as "1h", not ${JSON.stringify(since)}`,
    );
  }
  if (!Number.isFinite(ms) || ms < 0)
    throw invalidWait(`since must be a positive duration, not ${JSON.stringify(since)}`);
  return now - ms;
}

function timeoutMs(timeout: Duration | undefined): number | undefined {
  if (timeout === undefined) return undefined;
  let ms: number;
  try {
    ms = msToNumber(timeout);
  } catch {
    throw invalidWait(`timeout must be a duration such as "10m" or a number of ms, not ${JSON.stringify(timeout)}`);
  }
  if (!Number.isFinite(ms) || ms <= 0)
    throw invalidWait(`timeout must be a positive duration, not ${JSON.stringify(timeout)}`);
  return ms;
}

/** The registration activity's non-retryable failures (bad input) become this call's own. */
function unwrapRegistrationFailure(err: unknown): unknown {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable) {
    return ApplicationFailure.nonRetryable(err.cause.message, err.cause.type ?? WaitFailureType.invalidWait);
  }
  return err;
}

/**
 * Waits for a verified delivery of webhook `webhookName` that matches `options.match` (and
 * `options.if`). Resolves with the delivery, or `{ timedOut: true }` after `options.timeout`.
 * Fails at once with a non-retryable ApplicationFailure (types in `WaitFailureType`) for a bad
 * match path, `if`, duration, or a webhook that does not exist or does not signal this workflow.
 * `T` types the payload (e.g. `waitForWebhook<Stripe.Event>(...)`); tempohook does not check it.
 */
export async function waitForWebhook<T = unknown>(
  webhookName: string,
  options: WaitForWebhookOptions,
): Promise<WaitForWebhookResult<T>> {
  if (typeof webhookName !== 'string' || webhookName.length === 0)
    throw invalidWait('waitForWebhook needs a webhook name');
  if (!isRecord(options) || !isRecord(options.match))
    throw invalidWait(`waitForWebhook("${webhookName}"): options.match must be an object of path → expected value`);
  if (options.if !== undefined && (typeof options.if !== 'string' || options.if.trim() === ''))
    throw invalidWait(`waitForWebhook("${webhookName}"): if must be a non-empty CEL expression`);
  const namespace = options.namespace ?? 'default';
  const started = Date.now();
  const timeout = timeoutMs(options.timeout);
  const since = sinceMs(options.since, started);

  installWaitHandlers();
  const waitId = uuid4();
  const wait: PendingWait = {
    info: {
      waitId,
      webhook: `${namespace}/${webhookName}`,
      match: options.match,
      ...(options.if !== undefined ? { if: options.if } : {}),
      since: new Date(since ?? started).toISOString(),
      timeoutAt: timeout === undefined ? null : new Date(started + timeout).toISOString(),
    },
  };
  // In the map before registration: the ingress may signal as soon as the registration commits.
  pending.set(waitId, wait);
  refreshVisibility();
  try {
    const registered = await tempohookRegisterWait({
      waitId,
      webhook: webhookName,
      namespace,
      match: options.match,
      ...(options.if !== undefined ? { if: options.if } : {}),
      ...(options.vars !== undefined ? { vars: options.vars } : {}),
      ...(since !== undefined ? { sinceMs: since } : {}),
      ...(timeout !== undefined ? { timeoutMs: timeout } : {}),
    }).catch((err: unknown) => {
      throw unwrapRegistrationFailure(err);
    });
    wait.delivery ??= registered.delivery ?? undefined;
    refreshVisibility();
    const arrived = () => wait.delivery !== undefined;
    if (timeout === undefined) await condition(arrived);
    else await condition(arrived, Math.max(1, started + timeout - Date.now()));
    if (!wait.delivery) {
      // A delivery that claimed the wait before the timeout still wins: its signal is on its way.
      const claimed = await removeWaits([waitId]);
      if (!wait.delivery && claimed.includes(waitId)) await condition(arrived, CLAIMED_SIGNAL_GRACE_MS);
      if (!wait.delivery) return { timedOut: true, waitId, webhook: wait.info.webhook };
    }
    // The payload's type is the caller's claim (`T`): tempohook does not check it.
    const delivery = wait.delivery as WebhookDelivery<T>;
    return { ...delivery, timedOut: false, waitId };
  } catch (err) {
    if (isCancellation(err)) await removeWaits([waitId]);
    throw err;
  } finally {
    if (wait.delivery) resolvedEvents.set(waitId, wait.delivery.eventId);
    pending.delete(waitId);
    refreshVisibility();
  }
}
