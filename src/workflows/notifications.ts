/**
 * The workflow side of notifications: one emitter per run that numbers events (so ids are
 * deterministic and stable across retries), hands each to the `tempohookDispatchEvent` local
 * activity without blocking the run, and lets the run close only once every hand-off is done.
 * `emitEvent(type, data)` is the public way to send a custom event from workflow code.
 * Workflow-safe.
 */
import { CancellationScope, log, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import {
  RUN_SUBSCRIPTIONS_MEMO_KEY,
  type NotificationActivities,
  type NotificationEnvelope,
} from './notification-definitions';

// A local activity: the hand-off is recorded as a marker in this workflow task, with no extra
// round trip to the server; the delivery itself happens in a workflow of its own.
const { tempohookDispatchEvent } = proxyLocalActivities<NotificationActivities>({
  startToCloseTimeout: '10 seconds',
  scheduleToCloseTimeout: '5 minutes',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});

/** Per-run state; lives on the run's own globalThis (the SDK isolates it per workflow). */
export interface NotificationEmitter {
  enabled: boolean;
  seq: number;
  pending: Set<Promise<void>>;
}

const EMITTER_KEY = '__tempohookNotificationEmitter';

/** This run's emitter, created on first use (disabled until the interceptor enables it). */
export function runEmitter(): NotificationEmitter {
  const holder = globalThis as unknown as Record<string, NotificationEmitter | undefined>;
  holder[EMITTER_KEY] ??= { enabled: false, seq: 0, pending: new Set() };
  return holder[EMITTER_KEY];
}

function runSubscriptions(): string[] {
  const value = workflowInfo().memo?.[RUN_SUBSCRIPTIONS_MEMO_KEY];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Builds the envelope of the run's next event. */
function envelopeFor(emitter: NotificationEmitter, type: string, data: Record<string, unknown>): NotificationEnvelope {
  const info = workflowInfo();
  emitter.seq += 1;
  return {
    id: `evt_${info.runId}_${emitter.seq}`,
    type,
    timestamp: new Date().toISOString(),
    workflow: {
      namespace: info.namespace,
      id: info.workflowId,
      runId: info.runId,
      type: info.workflowType,
      taskQueue: info.taskQueue,
      attempt: info.attempt,
    },
    data,
  };
}

/**
 * Queues an event for delivery and returns at once. A failed hand-off is logged, never thrown:
 * a notification must not fail the run it describes.
 */
export function queueEvent(type: string, data: Record<string, unknown> = {}): void {
  const emitter = runEmitter();
  if (!emitter.enabled) return;
  const envelope = envelopeFor(emitter, type, data);
  // Not cancellable: a cancelled run still reports what happened before and its own cancellation.
  const handOff = CancellationScope.nonCancellable(() =>
    tempohookDispatchEvent({ envelope, runSubscriptions: runSubscriptions() }),
  ).then(
    () => undefined,
    (err: unknown) =>
      log.warn('tempohook could not queue a notification', {
        eventType: type,
        eventId: envelope.id,
        error: (err as Error)?.message,
      }),
  );
  emitter.pending.add(handOff);
  void handOff.then(() => emitter.pending.delete(handOff));
}

/** Resolves once every queued event has been handed off (called before the run closes). */
export async function flushEvents(): Promise<void> {
  const emitter = runEmitter();
  while (emitter.pending.size > 0) await Promise.all([...emitter.pending]);
}

/**
 * Sends a custom event (`type`, e.g. `order.shipped`) to the subscriptions that want it, with
 * the same envelope, signing and retries as the built-in events. Returns at once; delivery
 * outlives the run. Call it from workflow code, never from a query handler.
 */
export function emitEvent(type: string, data: Record<string, unknown> = {}): void {
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(type) || type.length > 200) {
    throw new TypeError(`emitEvent: "${type}" is not an event type; use dot-separated words such as "order.shipped"`);
  }
  queueEvent(type, data);
}
