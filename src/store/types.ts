/**
 * What the rest of tempohook needs from storage. Implementations are factories over a `pg`
 * pool (`createXRepository(db)`), and run unchanged on PostgreSQL and on PGlite served by
 * our PGlite wire server (src/store/pglite-wire-server.ts). Not-found is `null`, never an exception.
 */
import type { Pool } from 'pg';
import type { WaitsRepository } from './waits-repository';

export type Db = Pool;

export interface SecretRecord {
  namespace: string;
  name: string;
  /** Key → value. Only ever handed to verification code; never returned by the API. */
  data: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
}

export interface SecretsRepository {
  /** Creates or replaces the secret's data. */
  put(namespace: string, name: string, data: Record<string, string>): Promise<SecretRecord>;
  get(namespace: string, name: string): Promise<SecretRecord | null>;
  list(namespace?: string): Promise<SecretRecord[]>;
  delete(namespace: string, name: string): Promise<boolean>;
}

export interface WebhookRecord {
  /** Internal stable id (uuid). */
  id: string;
  namespace: string;
  name: string;
  /** The validated `spec` as applied (JSON). */
  spec: Record<string, unknown>;
  /** Random, unguessable, stable across re-applies of the same namespace/name. */
  endpointId: string;
  /** Increases by one on every apply that changes the spec. */
  generation: number;
  verified: boolean;
  lastDeliveryAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  deliveriesAccepted: number;
  deliveriesRejected: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface WebhooksRepository {
  /** Inserts or updates the spec; keeps id and endpointId of an existing webhook. */
  apply(
    namespace: string,
    name: string,
    spec: Record<string, unknown>,
  ): Promise<{ webhook: WebhookRecord; created: boolean }>;
  get(namespace: string, name: string): Promise<WebhookRecord | null>;
  getByEndpointId(endpointId: string): Promise<WebhookRecord | null>;
  list(namespace?: string): Promise<WebhookRecord[]>;
  delete(namespace: string, name: string): Promise<boolean>;
  /** A delivery was accepted: sets verified, lastDeliveryAt, increments deliveriesAccepted. */
  recordAccepted(id: string, at: Date): Promise<void>;
  /** A delivery was rejected or failed: sets lastError/lastErrorAt, increments deliveriesRejected. */
  recordError(id: string, message: string, at: Date): Promise<void>;
}

export const DeliveryOutcome = {
  pending: 'pending',
  started: 'started',
  duplicate: 'duplicate',
  rejected: 'rejected',
  failed: 'failed',
  ignored: 'ignored',
  challenge: 'challenge',
  /** Signal-only webhook: the delivery was offered to the waiting workflows (`signaled` lists them). */
  signaled: 'signaled',
} as const;
export type DeliveryOutcome = (typeof DeliveryOutcome)[keyof typeof DeliveryOutcome];

export interface DeliveryRecord {
  id: string;
  webhookId: string;
  eventId: string | null;
  sourceEvent: string | null;
  receivedAt: Date;
  httpStatus: number | null;
  outcome: DeliveryOutcome;
  /** Why it was rejected / failed / ignored (never a secret, never a stack trace). */
  reason: string | null;
  workflowId: string | null;
  runId: string | null;
  /** For a duplicate: the delivery it duplicates. */
  duplicateOf: string | null;
}

export type ReserveResult =
  | { reserved: true; delivery: DeliveryRecord }
  | { reserved: false; delivery: DeliveryRecord; original: DeliveryRecord };

export interface DeliveriesRepository {
  /**
   * Reserves (webhookId, eventId) for `windowSeconds` and records a `pending` delivery, as one
   * atomic step: of N concurrent calls with the same key exactly one gets `reserved: true`.
   * A key whose window has passed can be reserved again. The others get a `duplicate`
   * delivery row of their own (httpStatus 202) pointing at the original.
   */
  reserve(input: {
    webhookId: string;
    eventId: string;
    sourceEvent: string | null;
    receivedAt: Date;
    windowSeconds: number;
  }): Promise<ReserveResult>;
  /** Sets outcome, httpStatus, workflowId, runId, reason of a delivery. */
  complete(
    id: string,
    result: {
      outcome: DeliveryOutcome;
      httpStatus: number;
      workflowId?: string | null;
      runId?: string | null;
      reason?: string | null;
    },
  ): Promise<void>;
  /** Frees the dedup key held by this delivery (Temporal/store down, start rejected) so a retry can succeed. */
  release(id: string): Promise<void>;
  /** Records a request that never got a dedup key (bad signature, missing event id, filtered…). */
  recordUnreserved(input: {
    webhookId: string;
    eventId: string | null;
    sourceEvent: string | null;
    receivedAt: Date;
    outcome: DeliveryOutcome;
    httpStatus: number;
    reason: string | null;
  }): Promise<DeliveryRecord>;
  get(id: string): Promise<DeliveryRecord | null>;
  /** Newest first (receivedAt, then id). `cursor` is the opaque `nextCursor` of the previous page; `limit` is 1..500. */
  list(
    webhookId: string,
    page: { limit: number; cursor?: string },
  ): Promise<{ items: DeliveryRecord[]; nextCursor: string | null }>;
  /** Deletes dedup keys whose window has passed; returns how many. */
  purgeExpired(now: Date): Promise<number>;
}

/** One `{period, quota}` window of a `rate-limit` condition. */
export interface RateLimitWindow {
  periodSeconds: number;
  quota: number;
}

export type RateLimitVerdict =
  { allowed: true } | { allowed: false; window: RateLimitWindow; retryAfterSeconds: number };

export interface RateLimitsRepository {
  /**
   * Counts one delivery in each window (aligned on the database clock, shared by all replicas).
   * Refused when any window's quota is already spent; a refused delivery is not counted.
   */
  hit(webhookId: string, windows: readonly RateLimitWindow[]): Promise<RateLimitVerdict>;
  /** Deletes the counters of windows that have ended; returns how many. */
  purgeExpired(): Promise<number>;
}

export interface Store {
  db: Db;
  secrets: SecretsRepository;
  webhooks: WebhooksRepository;
  deliveries: DeliveriesRepository;
  rateLimits: RateLimitsRepository;
  waits: WaitsRepository;
  subscriptions: SubscriptionsRepository;
  notificationDeliveries: NotificationDeliveriesRepository;
  /** True when a trivial query answers within the timeout. */
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

/** A `Subscription` resource (outbound notifications) as applied through the API. */
export interface SubscriptionRecord {
  namespace: string;
  name: string;
  /** The spec as applied (JSON); parse it with `subscriptionSpec` where it is used. */
  spec: Record<string, unknown>;
  generation: number;
  createdAt: Date;
  updatedAt: Date;
}

/** Delivery state of one subscription, keyed `<namespace>/<name>` (API) or `settings/<name>` (settings file). */
export interface SubscriptionStatusRecord {
  key: string;
  consecutiveFailures: number;
  disabledAt: Date | null;
  disabledReason: string | null;
  lastDeliveryAt: Date | null;
  lastStatus: string | null;
  lastError: string | null;
  deliveriesSucceeded: number;
  deliveriesFailed: number;
}

export interface SubscriptionsRepository {
  /** Inserts or replaces the spec; re-applying re-enables a subscription disabled by failures. */
  apply(
    namespace: string,
    name: string,
    spec: Record<string, unknown>,
  ): Promise<{ subscription: SubscriptionRecord; created: boolean }>;
  get(namespace: string, name: string): Promise<SubscriptionRecord | null>;
  list(namespace?: string): Promise<SubscriptionRecord[]>;
  delete(namespace: string, name: string): Promise<boolean>;
  status(key: string): Promise<SubscriptionStatusRecord | null>;
  /** The statuses whose key starts with `prefix` (`settings/`: the settings-file subscriptions workers know). */
  statuses(prefix: string): Promise<SubscriptionStatusRecord[]>;
  /** Creates empty statuses for these keys where none exist (workers announce their settings-file subscriptions). */
  register(keys: readonly string[]): Promise<void>;
  /** Clears a disabled state and the failure count; false when the key has no status. */
  reenable(key: string): Promise<boolean>;
  /** Keys of the subscriptions disabled by failures. */
  disabledKeys(): Promise<Set<string>>;
  /** A delivery succeeded: the consecutive-failure count starts again at 0. */
  recordSuccess(key: string, httpStatus: number | null, at: Date): Promise<void>;
  /** A delivery failed for good: counts it, and disables the subscription at `disableAfter` in a row. Returns the new status. */
  recordFinalFailure(key: string, error: string, disableAfter: number, at: Date): Promise<SubscriptionStatusRecord>;
}

export const NotificationDeliveryStatus = { pending: 'pending', succeeded: 'succeeded', failed: 'failed' } as const;
export type NotificationDeliveryStatus = (typeof NotificationDeliveryStatus)[keyof typeof NotificationDeliveryStatus];

export interface NotificationAttemptRecord {
  attempt: number;
  startedAt: Date;
  durationMs: number;
  httpStatus: number | null;
  /** The receiver's answer, truncated. */
  responseBody: string | null;
  error: string | null;
}

export interface NotificationDeliveryRecord {
  id: string;
  subscriptionKey: string;
  eventId: string;
  eventType: string;
  envelope: Record<string, unknown>;
  status: NotificationDeliveryStatus;
  attempts: number;
  lastHttpStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NotificationDeliveriesRepository {
  /** Creates the delivery row once (later calls with the same id leave it as is). */
  ensure(input: {
    id: string;
    subscriptionKey: string;
    envelope: { id: string; type: string } & Record<string, unknown>;
  }): Promise<void>;
  /** Records one attempt and updates the delivery's counters and status. */
  recordAttempt(id: string, attempt: NotificationAttemptRecord, status: NotificationDeliveryStatus): Promise<void>;
  /** Sets the final status without an attempt (retries exhausted, subscription gone or disabled). */
  finish(id: string, status: NotificationDeliveryStatus, error: string | null): Promise<void>;
  get(id: string): Promise<NotificationDeliveryRecord | null>;
  attempts(id: string): Promise<NotificationAttemptRecord[]>;
  /** Newest first; `cursor` is the previous page's `nextCursor`. */
  list(
    subscriptionKey: string,
    page: { limit: number; cursor?: string },
  ): Promise<{ items: NotificationDeliveryRecord[]; nextCursor: string | null }>;
}
