/**
 * Definitions shared by the ingress, the worker, workflow code and tests.
 * Workflow-safe: imports nothing but Temporal's sandbox-safe packages.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';

/** Search attributes the ingress sets on every run it starts (registered on the dev server). */
export const webhookSearchAttribute = defineSearchAttributeKey('TempohookWebhook', SearchAttributeType.KEYWORD);
export const eventIdSearchAttribute = defineSearchAttributeKey('TempohookEventId', SearchAttributeType.KEYWORD);
export const sourceSearchAttribute = defineSearchAttributeKey('TempohookSource', SearchAttributeType.KEYWORD);

/** Set by `waitForWebhook` while a run waits: the `namespace/name` of each webhook it waits on. */
export const waitingForSearchAttribute = defineSearchAttributeKey(
  'TempohookWaitingFor',
  SearchAttributeType.KEYWORD_LIST,
);

/** Every search attribute tempohook needs on the server, for provisioning and docs. */
export const tempohookSearchAttributes = [
  webhookSearchAttribute,
  eventIdSearchAttribute,
  sourceSearchAttribute,
  waitingForSearchAttribute,
] as const;

/**
 * The input every webhook-started run receives (plus the webhook's mapped `input` fields).
 * `T` types the payload, e.g. `WebhookStartInput<Stripe.Event>`; tempohook does not check it.
 */
export interface WebhookStartInput<T = unknown> {
  webhook_payload: T;
  webhook_event_id: string;
  webhook_received_at: string;
  /** The provider event, e.g. `push` for GitHub, or the profile name when the provider sends none. */
  webhook_source: string;
  webhook_delivery_id: string;
  webhook_name: string;
  webhook_namespace: string;
  /** The normalized view of a known payload family (Docker Hub, Harbor, GitHub, GitLab); absent otherwise. */
  webhook_normalized?: Record<string, unknown>;
  [mapped: string]: unknown;
}

/** Task queue of the example worker that `npm start` runs. */
export const EXAMPLES_TASK_QUEUE = 'tempohook-examples';

/** Memo key under which the ingress describes the delivery that started a run. */
export const TEMPOHOOK_MEMO_KEY = 'tempohook';

/** The `tempohook` memo of a run the ingress started (small: memos should stay under 2 KiB). */
export interface TempohookRunMemo {
  webhook: string;
  profile: string;
  eventId: string;
  deliveryId: string;
  source: string;
  receivedAt: string;
  /** The route (`spec.routes`) that started the run or, for an entity, first signaled it. */
  route?: string;
}

/** A verified delivery as a waiting or entity workflow receives it; `T` types the payload (unchecked). */
export interface WebhookDelivery<T = unknown> {
  deliveryId: string;
  eventId: string;
  /** ISO 8601. */
  receivedAt: string;
  /** The provider event (`push`), or the profile name when the provider sends none. */
  source: string;
  payload: T;
  /** Lower-cased names; credential-bearing headers (signatures, tokens, cookies) are left out. */
  headers: Record<string, string>;
}

/** What the ingress signals to a waiting run: which wait, and the delivery that resolves it. */
export interface WebhookDeliveredSignalInput {
  waitId: string;
  delivery: WebhookDelivery;
}

/** Sent by the ingress to each run whose wait a delivery matches. */
export const webhookDeliveredSignal = defineSignal<[WebhookDeliveredSignalInput]>('tempohook.webhook');

/**
 * What a `signalWithStart` route sends to its entity workflow: the delivery, without a wait id.
 * Same signal name as waits: one handler serves both, and `onWebhook` receives these.
 */
export interface WebhookEventSignalInput {
  delivery: WebhookDelivery;
  /** `namespace/name` of the webhook. */
  webhook: string;
  /** The route that sent it. */
  route: string;
}

/** Sent by the ingress to the entity workflow of a `signalWithStart` route. */
export const webhookEventSignal = defineSignal<[WebhookEventSignalInput]>('tempohook.webhook');

/** One wait a run has open, as the `tempohook.waits` query and `GET /v1/webhooks/{name}/waits` show it. */
export interface OpenWait {
  waitId: string;
  /** `namespace/name` of the webhook. */
  webhook: string;
  match: Record<string, unknown>;
  if?: string;
  /** ISO 8601: when the wait was registered (workflow time). */
  since: string;
  /** ISO 8601, or null when the wait has no timeout. */
  timeoutAt: string | null;
}

/** Returns the run's open waits. */
export const openWaitsQuery = defineQuery<OpenWait[]>('tempohook.waits');

/** Activity names `TempohookPlugin` registers for waits (prefixed: they share the worker with yours). */
export const REGISTER_WAIT_ACTIVITY = 'tempohookRegisterWait';
export const REMOVE_WAITS_ACTIVITY = 'tempohookRemoveWaits';

/** `ApplicationFailure` types `waitForWebhook` throws, for `catch` blocks and retry policies. */
export const WaitFailureType = {
  /** A bad `match` path or value, a bad `if`, or a bad `since`/`timeout`. */
  invalidWait: 'TempohookInvalidWait',
  /** No webhook of that name in that namespace. */
  unknownWebhook: 'TempohookUnknownWebhook',
  /** The webhook exists but would never signal this run (`spec.signal` missing or `workflowTypes` excludes it). */
  notSignaling: 'TempohookWebhookNotSignaling',
} as const;
export type WaitFailureType = (typeof WaitFailureType)[keyof typeof WaitFailureType];

/** What the registration activity receives from `waitForWebhook`. */
export interface RegisterWaitInput {
  waitId: string;
  webhook: string;
  namespace: string;
  match: Record<string, unknown>;
  if?: string;
  vars?: Record<string, unknown>;
  /** Epoch ms (workflow time): deliveries received at or after it may resolve the wait at once; absent for `since: "registration"`. */
  sinceMs?: number;
  /** Milliseconds until the workflow stops waiting; absent for no timeout. */
  timeoutMs?: number;
}

/** The registration's answer: a delivery already in the log resolves the wait at once. */
export interface RegisterWaitResult {
  waitId: string;
  delivery: WebhookDelivery | null;
}
