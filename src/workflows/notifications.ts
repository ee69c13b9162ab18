/**
 * The workflow side of notifications: one emitter per run that numbers events (so ids are
 * deterministic and stable across retries and re-executions) and hands each to the worker's
 * `tempohookNotifications` sink. A sink call is no command: nothing lands in the run's history,
 * and the worker awaits the sink (which stores the event) before it reports the workflow task
 * complete. Runs recorded with the first design (a `tempohookDispatchEvent` local activity per
 * event, guarded by a patch marker) keep that path when they replay, so their histories stay
 * valid. `emitEvent(type, data)` is the public way to send a custom event from workflow code.
 * Workflow-safe.
 */
import { CancellationScope, log, proxyLocalActivities, proxySinks, workflowInfo } from '@temporalio/workflow';
import {
  NOTIFICATION_SINK,
  RUN_SUBSCRIPTIONS_MEMO_KEY,
  type NotificationActivities,
  type NotificationEnvelope,
  type NotificationSinks,
} from './notification-definitions';

// The first design's hand-off: kept only for runs whose history holds its markers.
const { tempohookDispatchEvent } = proxyLocalActivities<NotificationActivities>({
  startToCloseTimeout: '10 seconds',
  scheduleToCloseTimeout: '5 minutes',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});

const sinks = proxySinks<NotificationSinks>();

/** Per-run state; lives on the run's own globalThis (the SDK isolates it per workflow). */
export interface NotificationEmitter {
  enabled: boolean;
  /** The run was recorded with the first design: events go through the local activity. */
  legacy: boolean;
  seq: number;
  pending: Set<Promise<void>>;
}

const EMITTER_KEY = '__tempohookNotificationEmitter';

/** This run's emitter, created on first use (disabled until the interceptor enables it). */
export function runEmitter(): NotificationEmitter {
  const holder = globalThis as unknown as Record<string, NotificationEmitter | undefined>;
  holder[EMITTER_KEY] ??= { enabled: false, legacy: false, seq: 0, pending: new Set() };
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
  if (!emitter.legacy) {
    // Skipped on replay by the worker: the event was stored when this code first ran.
    sinks[NOTIFICATION_SINK].record({ envelope, runSubscriptions: runSubscriptions() });
    return;
  }
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

/** Resolves once every queued event has been handed off (called before the run closes; only the first design has any pending). */
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
