/**
 * Outbound lifecycle notifications: the envelope receivers get, and the names and inputs shared
 * by the workflow interceptors, the delivery workflow and the worker's activities.
 * Workflow-safe: imports nothing.
 */

/** Built-in event types; `emitEvent` adds custom ones. */
export const NotificationEventType = {
  workflowStarted: 'workflow.started',
  workflowCompleted: 'workflow.completed',
  workflowFailed: 'workflow.failed',
  workflowCancelled: 'workflow.cancelled',
  workflowContinuedAsNew: 'workflow.continued_as_new',
  /** Observed outside the run (workflow code never sees them): `temporal workflow terminate`, execution or run timeout. */
  workflowTerminated: 'workflow.terminated',
  workflowTimedOut: 'workflow.timed_out',
  stepCompleted: 'step.completed',
  stepFailed: 'step.failed',
  /** Sent by `POST /v1/subscriptions/{name}/test`. */
  test: 'tempohook.test',
} as const;

/** The run an event is about. */
export interface NotificationWorkflowRef {
  namespace: string;
  id: string;
  runId: string;
  type: string;
  taskQueue: string;
  /** The run's attempt (workflow retries); null for closes observed from outside the run (terminated, timed out). */
  attempt: number | null;
}

/** What a subscriber receives (the JSON body). `id` is the same on every retry and redelivery. */
export interface NotificationEnvelope {
  id: string;
  type: string;
  /** ISO 8601, the workflow's own (deterministic) clock when the event happened. */
  timestamp: string;
  /** Null only for `tempohook.test`. */
  workflow: NotificationWorkflowRef | null;
  data: Record<string, unknown>;
}

/** Memo key naming the run-scoped subscriptions (`["name"]` or `["namespace/name"]`) a run wants, set at start. */
export const RUN_SUBSCRIPTIONS_MEMO_KEY = 'tempohookSubscriptions';

/**
 * Patch id of the first design (a local-activity hand-off per event). Runs recorded with it
 * still carry its marker and keep that path on replay; new runs never call `patched()`.
 */
export const NOTIFICATIONS_PATCH_ID = 'tempohook-notifications-v1';

/** The worker sink events go through (no command, nothing in the run's history). */
export const NOTIFICATION_SINK = 'tempohookNotifications';

// A type alias (not an interface) so it satisfies the SDK's `Sinks` index signature.
export type NotificationSinks = {
  [NOTIFICATION_SINK]: { record: (input: DispatchEventInput) => void };
};

/** The workflow that delivers one event to its subscriptions; started per event, outlives the run. */
export const DELIVER_EVENT_WORKFLOW = 'tempohookDeliverEvent';

export interface DispatchEventInput {
  envelope: NotificationEnvelope;
  /** The run's `tempohookSubscriptions` memo. */
  runSubscriptions: string[];
}

export interface DispatchEventResult {
  /** Subscriptions the event goes to (0: nothing was started). */
  targets: number;
}

/** One subscription an event goes to, with the retry settings the delivery activity runs under. */
export interface DeliveryTarget {
  subscriptionKey: string;
  /** Given for a redelivery and by the dispatcher; otherwise the workflow draws one. */
  deliveryId?: string;
  /** Attempts the dispatcher already made: the workflow only retries (after Retry-After, else the first interval). */
  attemptsMade?: number;
  retryAfterMs?: number;
  /**
   * The workflow was started with a start delay covering the wait before the first retry (the
   * dispatcher's hand-off): it retries at once. Absent in runs started before, which sleep first.
   */
  delayedStart?: boolean;
  timeoutMs: number;
  retry: { maximumAttempts: number; initialIntervalMs: number; backoffCoefficient: number; maximumIntervalMs: number };
}

export interface DeliverEventInput {
  envelope: NotificationEnvelope;
  targets: DeliveryTarget[];
}

export interface DeliverNotificationInput {
  deliveryId: string;
  subscriptionKey: string;
  envelope: NotificationEnvelope;
  /** Attempts made before this activity's first (the dispatcher's or the local first attempt). */
  attemptOffset?: number;
}

export interface FinishNotificationInput {
  deliveryId: string;
  subscriptionKey: string;
  error: string;
}

export interface DeliverEventResult {
  deliveries: Array<{ subscriptionKey: string; deliveryId: string; delivered: boolean; error?: string }>;
}

/** The worker activities behind notifications (registered by `TempohookPlugin`). */
export interface NotificationActivities {
  tempohookDispatchEvent(input: DispatchEventInput): Promise<DispatchEventResult>;
  tempohookDeliverNotification(input: DeliverNotificationInput): Promise<{ httpStatus: number }>;
  tempohookFinishNotification(input: FinishNotificationInput): Promise<void>;
}
