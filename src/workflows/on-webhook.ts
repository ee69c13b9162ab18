/**
 * `onWebhook`: the handler of a long-lived entity workflow that a `signalWithStart` route feeds
 * (one run per customer, repository, order). Workflow-safe.
 *
 * The ingress sends each event once per route with a deterministic request id, which the server
 * deduplicates within a run; a repeat can still reach the run (a continued-as-new run does not
 * know the previous run's request ids, a record lost between replicas), so the handler drops
 * event ids it has already handled in this run or that the previous run handed over.
 * Signals that arrive before `onWebhook` is called (the first one comes with the start) wait
 * for it in arrival order.
 */
import { log } from '@temporalio/workflow';
import type { WebhookDelivery, WebhookEventSignalInput } from './definitions';

/** Where a delivery came from, besides the delivery itself. */
export interface WebhookEventContext {
  /** `namespace/name` of the webhook. */
  webhook: string;
  /** The route that sent it. */
  route: string;
}

export type WebhookEventHandler<T> = (
  delivery: WebhookDelivery<T>,
  context: WebhookEventContext,
) => void | Promise<void>;

export interface OnWebhookOptions {
  /**
   * `'history'` (default): drop a delivery whose event id this run has already handled, or that
   * `seenEventIds` lists. `false`: hand every signal to the handler.
   */
  dedup?: 'history' | false;
  /** Event ids the previous run handled: pass `recentEventIds()` through continue-as-new. */
  seenEventIds?: readonly string[];
}

export interface WebhookSubscription {
  /**
   * The last `limit` (default 1000) event ids handled or carried over, oldest first: the input
   * of the next run's `seenEventIds` when this entity continues as new.
   */
  recentEventIds(limit?: number): string[];
  /** How many deliveries this run handed to the handler. */
  readonly handled: number;
  /** How many repeated event ids this run dropped. */
  readonly dropped: number;
}

/** Default number of event ids carried over continue-as-new: covers provider retries of recent events. */
export const DEFAULT_CARRIED_EVENT_IDS = 1000;

interface Registration {
  handler: WebhookEventHandler<unknown>;
  dedup: boolean;
  /** Insertion order is the order handled: `recentEventIds` takes the tail. */
  seen: Set<string>;
  handled: number;
  dropped: number;
}

/** Module state is per workflow run in Temporal's sandbox. */
let registration: Registration | undefined;
const early: WebhookEventSignalInput[] = [];

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Whether `value` has the shape of a delivery (the payload may be anything). */
export function isWebhookDelivery(value: unknown): value is WebhookDelivery {
  return (
    isRecord(value) &&
    typeof value.deliveryId === 'string' &&
    typeof value.eventId === 'string' &&
    typeof value.receivedAt === 'string' &&
    typeof value.source === 'string' &&
    isRecord(value.headers)
  );
}

/** Whether a `tempohook.webhook` signal is an entity delivery (not a wait's). */
export function isWebhookEventSignal(input: unknown): input is WebhookEventSignalInput {
  return (
    isRecord(input) &&
    input.waitId === undefined &&
    isWebhookDelivery(input.delivery) &&
    typeof input.webhook === 'string' &&
    typeof input.route === 'string'
  );
}

function dispatch(reg: Registration, input: WebhookEventSignalInput): void | Promise<void> {
  const { eventId, deliveryId } = input.delivery;
  if (reg.dedup && reg.seen.has(eventId)) {
    reg.dropped++;
    log.debug('tempohook: dropped a repeated event', { eventId, deliveryId, route: input.route });
    return;
  }
  // Marked before the handler runs: a repeat arriving while an async handler awaits is dropped too.
  reg.seen.delete(eventId);
  reg.seen.add(eventId);
  reg.handled++;
  return reg.handler(input.delivery, { webhook: input.webhook, route: input.route });
}

/** Called by the `tempohook.webhook` signal handler for entity deliveries. */
export function deliverWebhookEvent(input: WebhookEventSignalInput): void | Promise<void> {
  if (!registration) {
    early.push(input);
    return;
  }
  return dispatch(registration, input);
}

/**
 * Hands every event a `signalWithStart` route sends to this run to `handler`, once per event id
 * (unless `dedup: false`). Call it once, at the start of the workflow, before any `await`.
 * `T` types the payload (e.g. `Stripe.Event`); tempohook does not check it.
 *
 * A long-lived entity continues as new with the ids it must still drop:
 * ```ts
 * await condition(() => workflowInfo().continueAsNewSuggested);
 * await condition(allHandlersFinished);
 * await continueAsNew<typeof entity>({ ...input, seenEventIds: events.recentEventIds() });
 * ```
 */
export function onWebhook<T = unknown>(
  handler: WebhookEventHandler<T>,
  options: OnWebhookOptions = {},
): WebhookSubscription {
  if (registration) throw new Error('onWebhook: already called in this run; call it once with one handler');
  if (options.dedup !== undefined && options.dedup !== 'history' && options.dedup !== false)
    throw new TypeError(`onWebhook: dedup must be 'history' or false, not ${JSON.stringify(options.dedup)}`);
  const reg: Registration = {
    handler: handler as WebhookEventHandler<unknown>,
    dedup: options.dedup !== false,
    seen: new Set(options.seenEventIds ?? []),
    handled: 0,
    dropped: 0,
  };
  registration = reg;
  for (const input of early.splice(0)) void dispatch(reg, input);
  return {
    recentEventIds: (limit = DEFAULT_CARRIED_EVENT_IDS) => [...reg.seen].slice(-limit),
    get handled() {
      return reg.handled;
    },
    get dropped() {
      return reg.dropped;
    },
  };
}
