/**
 * What the rest of tempohook needs from storage. Implementations are factories over a `pg`
 * pool (`createXRepository(db)`), and run unchanged on PostgreSQL and on PGlite served by
 * our PGlite wire server (src/store/pglite-wire-server.ts). Not-found is `null`, never an exception.
 */
import type { ChangeFeed } from './change-feed';
import type { Pool } from 'pg';
import type { WebhookDelivery } from '../workflows/definitions';

export type Db = Pool;

/** Largest page a listing returns; the API clamps `?limit=` to it. */
export const MAX_PAGE_SIZE = 500;

/** Which page of a listing: `limit` (1…MAX_PAGE_SIZE) rows after `cursor`, the previous page's `nextCursor`. */
export interface PageRequest {
  limit: number;
  cursor?: string;
}

/** One page of a listing, and the cursor of the next one (null on the last page). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

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

/** What one route did for one delivery, as the delivery log keeps it. */
export const RouteActionStatus = {
  /** This delivery started the run. */
  started: 'started',
  /** This delivery signaled the entity (starting it if it did not run). */
  signaled: 'signaled',
  /** A run with the route's workflow id already existed. */
  alreadyStarted: 'already_started',
  /** An earlier delivery of the event did it; this one did nothing. */
  skipped: 'skipped',
  /** Refused for good (a rejected start, an id that rendered empty): the route's failure, recorded. */
  failed: 'failed',
  /** Temporal did not answer: the delivery was answered 503 and the retry tries this route again. */
  unavailable: 'unavailable',
} as const;
export type RouteActionStatus = (typeof RouteActionStatus)[keyof typeof RouteActionStatus];

export interface RouteActionRecord {
  route: string;
  action: 'start' | 'signalWithStart';
  status: RouteActionStatus;
  workflowId: string | null;
  runId: string | null;
  reason?: string | null;
}

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
  /** What each route did (webhooks with `spec.routes`); null when the delivery took no route action. */
  actions: RouteActionRecord[] | null;
  /** For a replay (`POST /v1/deliveries/{id}/replay`): the delivery it replays. */
  replayOf: string | null;
}

/**
 * A verified delivery's request as kept for `spec.retention.payloads`: the raw body and the
 * headers (lower-cased) with every credential removed.
 */
export interface KeptPayloadInput {
  body: Buffer;
  headers: Record<string, string>;
  contentType: string | null;
}

/** A kept payload as read back (decrypted when it was stored encrypted). */
export interface KeptPayload extends KeptPayloadInput {
  deliveryId: string;
  receivedAt: Date;
  /** Stored encrypted with TEMPOHOOK_SECRET_KEY. */
  encrypted: boolean;
}

/**
 * `earlierRoutes`: what earlier deliveries of the event recorded per route (`skipped`: done, so
 * not redone; `failed`: refused for good, tried again), for webhooks with `spec.routes`.
 */
export type ReserveResult =
  | { reserved: true; delivery: DeliveryRecord; earlierRoutes?: RouteActionRecord[] }
  | { reserved: false; delivery: DeliveryRecord; original: DeliveryRecord; earlierRoutes?: RouteActionRecord[] };

/** What a delivery's routes did, to record with its outcome (DeliveriesRepository.complete). */
export interface RouteRecording {
  webhookId: string;
  eventId: string;
  /** The delivery's time: a route recorded done whose window has passed may be recorded again. */
  now: Date;
  /** Until when the routes done stay done (the event's dedup window). */
  expiresAt: Date;
  actions: readonly RouteActionRecord[];
}

/** A request that never got a dedup key, as the delivery log records it. */
export interface UnreservedDeliveryInput {
  webhookId: string;
  eventId: string | null;
  sourceEvent: string | null;
  receivedAt: Date;
  outcome: DeliveryOutcome;
  httpStatus: number;
  reason: string | null;
  /** The request as kept (verified deliveries only). */
  payload?: KeptPayloadInput | undefined;
  /** A replay's original delivery. */
  replayOf?: string | null | undefined;
  /** The bulk replay job the replay belongs to. */
  replayJobId?: string | null | undefined;
}

/** What `complete` writes to a delivery row. */
export interface DeliveryCompletionInput {
  outcome: DeliveryOutcome;
  httpStatus: number;
  workflowId?: string | null;
  runId?: string | null;
  reason?: string | null;
}

/** What a delivery-log search keeps (every field optional; all must hold). */
export interface DeliveryFilter {
  /** Any of these outcomes. */
  outcomes?: readonly DeliveryOutcome[];
  httpStatus?: number;
  eventId?: string;
  workflowId?: string;
  /** Received at or after. */
  since?: Date;
  /** Received before. */
  until?: Date;
}

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
    /** Kept with the row, in the same statement (verified deliveries of a webhook that keeps payloads). */
    payload?: KeptPayloadInput | undefined;
    /** A replay's original delivery. */
    replayOf?: string | undefined;
    /** The bulk replay job the replay belongs to. */
    replayJobId?: string | undefined;
  }): Promise<ReserveResult>;
  /**
   * Sets outcome, httpStatus, workflowId, runId, reason of a delivery; with `options.accepted`,
   * in the same statement, the webhook's status as `recordAccepted` does; with
   * `options.release`, in the same statement, frees the key the delivery holds (as `release`);
   * with `options.routes`, in the same statement, the delivery log's `actions` and what each route
   * did per (webhook, event, route), so a retry redoes only the routes not done.
   */
  complete(
    id: string,
    result: DeliveryCompletionInput,
    options?: { accepted?: { webhookId: string; at: Date }; release?: boolean; routes?: RouteRecording },
  ): Promise<void>;
  /** Frees the dedup key held by this delivery (Temporal/store down, start rejected) so a retry can succeed. */
  release(id: string): Promise<void>;
  /** Records a request that never got a dedup key (bad signature, missing event id, filtered…). */
  recordUnreserved(input: UnreservedDeliveryInput): Promise<DeliveryRecord>;
  /** The kept request of a delivery (decrypted); null when none was kept or it was purged. */
  getPayload(deliveryId: string): Promise<KeptPayload | null>;
  /**
   * Records many such requests in one statement, and for the rejected and failed ones sets each
   * webhook's last error and counts them; rows of a webhook deleted meanwhile are skipped.
   */
  recordUnreservedMany(rows: UnreservedDeliveryInput[]): Promise<void>;
  get(id: string): Promise<DeliveryRecord | null>;
  /** Newest first (receivedAt, then id), the rows `filter` keeps. See {@link PageRequest}. */
  list(webhookId: string, page: PageRequest, filter?: DeliveryFilter): Promise<Page<DeliveryRecord>>;
  /** One delivery of a webhook in `namespace`, with the webhook's name; null when there is none. */
  getInNamespace(namespace: string, id: string): Promise<{ delivery: DeliveryRecord; webhook: string } | null>;
  /** Deletes dedup keys (and route outcomes) whose window has passed; returns how many keys. */
  purgeExpired(now: Date): Promise<number>;
}

/** A bulk replay's state: `pending` until an ingress claims it, `running`, then `completed` or `cancelled`. */
export const ReplayJobState = {
  pending: 'pending',
  running: 'running',
  completed: 'completed',
  cancelled: 'cancelled',
} as const;
export type ReplayJobState = (typeof ReplayJobState)[keyof typeof ReplayJobState];

/** A bulk replay (`POST /v1/webhooks/{name}/replay`) and its progress. */
export interface ReplayJobRecord {
  id: string;
  webhookId: string;
  namespace: string;
  webhookName: string;
  /** The search that chose its deliveries (instants as ISO strings). */
  filter: Record<string, unknown>;
  newEventId: boolean;
  ratePerSecond: number;
  state: ReplayJobState;
  total: number;
  done: number;
  succeeded: number;
  failed: number;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

/** How one item of a bulk replay ended. */
export interface ReplayItemResult {
  state: 'succeeded' | 'failed';
  replayDeliveryId: string | null;
  /** The replay delivery's outcome, or the code it could not be replayed with. */
  outcome: string | null;
  error: string | null;
}

/** An item left claimed by a dead ingress, and the replay delivery it got to, if any. */
export interface StaleReplayClaim {
  deliveryId: string;
  replay: (PendingDeliveryClaim & { outcome: DeliveryOutcome; reason: string | null }) | null;
}

/** Bulk replay jobs and their items (replay-jobs-repository.ts). */
export interface ReplayJobsRepository {
  /**
   * Creates a job over the deliveries of `webhookId` that `filter` keeps now (at most `maxItems`,
   * else `too_many_deliveries`), items and job in one transaction.
   */
  create(input: {
    webhookId: string;
    filter: DeliveryFilter;
    newEventId: boolean;
    ratePerSecond: number;
    now: Date;
    maxItems: number;
  }): Promise<ReplayJobRecord>;
  get(webhookId: string, id: string): Promise<ReplayJobRecord | null>;
  /** The webhook's jobs, newest first. */
  list(webhookId: string, limit: number): Promise<ReplayJobRecord[]>;
  /** Claims the oldest job that is pending or whose lease lapsed (SKIP LOCKED), leased to `owner`. */
  claim(input: { owner: string; now: Date; leaseMs: number }): Promise<ReplayJobRecord | null>;
  /** Extends the lease; false when `owner` no longer holds it or the job is no longer running (cancelled). */
  renew(id: string, owner: string, now: Date, leaseMs: number): Promise<boolean>;
  /**
   * Items another owner claimed and never finished (its ingress died), each with the delivery of
   * this job that replays its source, if that replay got as far as its reservation.
   */
  staleClaims(jobId: string, owner: string): Promise<StaleReplayClaim[]>;
  /** A claimed item of another owner back to pending: its replay never reserved anything. */
  resetItem(jobId: string, deliveryId: string): Promise<void>;
  /** Claims up to `limit` pending items, oldest source first. */
  claimItems(jobId: string, owner: string, limit: number): Promise<string[]>;
  /** Finishes a claimed item and counts it on the job, in one statement. */
  /** `owner` null: an item another owner left claimed (its replay's row says how it ended). */
  finishItem(jobId: string, deliveryId: string, owner: string | null, result: ReplayItemResult): Promise<void>;
  /** A claimed item back to pending (Temporal or the store was down). */
  releaseItem(jobId: string, deliveryId: string, owner: string): Promise<void>;
  /** Marks the job completed when no item is open; false otherwise. */
  complete(jobId: string, owner: string, now: Date): Promise<boolean>;
  /** Cancels a job that has not finished; its open items stay as they are. Null when there is no such job. */
  cancel(webhookId: string, id: string, now: Date): Promise<ReplayJobRecord | null>;
}

/** A `pending` delivery claimed for settling, with the webhook it belongs to. */
export interface PendingDeliveryClaim {
  id: string;
  webhookId: string;
  eventId: string | null;
  sourceEvent: string | null;
  receivedAt: Date;
  webhook: { namespace: string; name: string; spec: Record<string, unknown> };
}

/** How a pending delivery settles: the run Temporal holds, or failed with its key released for the provider's retry. */
export type PendingSettlement =
  { outcome: 'started'; workflowId: string; runId: string; reason: string } | { outcome: 'released'; reason: string };

/** The delivery log's upkeep (delivery-upkeep-repository.ts), run by the ingress's periodic job. */
export interface DeliveryUpkeepRepository {
  /**
   * Claims up to `limit` deliveries still `pending` that were received at or before
   * `receivedBefore` and not claimed within `lookAgainAfterMs` (SKIP LOCKED: replicas take
   * different rows), oldest first.
   */
  claimPending(input: {
    receivedBefore: Date;
    now: Date;
    lookAgainAfterMs: number;
    limit: number;
  }): Promise<PendingDeliveryClaim[]>;
  /** Settles a delivery that is still pending; false when it no longer was (an ingress recorded it). */
  settlePending(id: string, settlement: PendingSettlement): Promise<boolean>;
  /**
   * Deletes one webhook's delivery rows received before `before` (rows still holding a dedup key
   * stay), `batchSize` per statement, skipping rows another replica has locked; returns how many.
   */
  purgeDeliveries(input: { webhookId: string; before: Date; batchSize: number }): Promise<number>;
  /** Deletes one webhook's kept payloads received before `before`, batched like purgeDeliveries. */
  purgePayloads(input: { webhookId: string; before: Date; batchSize: number }): Promise<number>;
  /**
   * Deletes finished notification deliveries (and their attempts) created before `before`: of
   * one subscription key, or with `except`, of every key but those. Batched like purgeDeliveries.
   */
  purgeNotificationDeliveries(
    input: { before: Date; batchSize: number } & ({ subscriptionKey: string } | { except: readonly string[] }),
  ): Promise<number>;
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
  deliveryUpkeep: DeliveryUpkeepRepository;
  rateLimits: RateLimitsRepository;
  waits: WaitsRepository;
  subscriptions: SubscriptionsRepository;
  notificationDeliveries: NotificationDeliveriesRepository;
  notificationOutbox: NotificationOutboxRepository;
  /** API tokens of the management API (issue 13). */
  apiTokens: ApiTokensRepository;
  /** The management API's audit log. */
  auditLog: AuditLogRepository;
  replayJobs: ReplayJobsRepository;
  /** Resource changes from every process on this database (caches subscribe). */
  changes: ChangeFeed;
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
  list(subscriptionKey: string, page: PageRequest): Promise<Page<NotificationDeliveryRecord>>;
}

// Waits (`waitForWebhook`): the compiled match the ingress looks waits up by (see waits/match.ts).

/** A path resolved to where it reads: payload segments, or one lower-cased header. */
export type MatchPath = { in: 'payload'; segments: Array<string | number> } | { in: 'headers'; name: string };

/** A path set: the canonical paths a wait matches on, sorted, and its key. */
export interface PathSet {
  key: string;
  paths: MatchPath[];
}

/** A validated `match`: its path set, match key, and the parsed entries (for SQL look-ups). */
export interface CompiledMatch {
  pathSet: PathSet;
  matchKey: string;
  entries: Array<{ path: MatchPath; value: unknown }>;
}

export type WaitState = 'open' | 'claimed' | 'signaled' | 'stale';

export interface WaitRecord {
  id: string;
  webhookId: string;
  temporalNamespace: string;
  workflowId: string;
  runId: string;
  workflowType: string;
  match: Record<string, unknown>;
  condition: string | null;
  vars: Record<string, unknown> | null;
  state: WaitState;
  deliveryId: string | null;
  createdAt: Date;
  timeoutAt: Date | null;
}

/** A wait to register: what its record will hold, with the compiled match and the `since` look-up. */
export interface RegisterWaitRecord extends Omit<WaitRecord, 'state' | 'deliveryId' | 'createdAt'> {
  compiled: CompiledMatch;
  /** Look up the payload log from here (inclusive); null: only later deliveries. */
  since: Date | null;
  now: Date;
  /** The `if` on a logged delivery (the repository knows no CEL). */
  accepts(delivery: WebhookDelivery): boolean;
}

export interface ClaimInput {
  webhookId: string;
  temporalNamespace: string;
  matchKeys: string[];
  /** spec.signal.workflowTypes; undefined: any type. */
  workflowTypes?: string[];
  deliveryId: string;
  eventId: string;
  now: Date;
  /** The `if` on a candidate; called inside the claim transaction (no I/O). */
  accepts(wait: Pick<WaitRecord, 'condition' | 'vars'>): boolean;
}

export interface ClaimedWait {
  id: string;
  workflowId: string;
  runId: string;
}

/** A claim whose ingress died, and the delivery it was signaling (null: its payload is no longer stored). */
export interface ExpiredClaim extends ClaimedWait {
  deliveryId: string;
  delivery: WebhookDelivery | null;
}

export interface WaitsRepository {
  /** Live waits by state (the metrics' gauge). */
  countLive(): Promise<{ open: number; claimed: number }>;
  /** Registers a wait (idempotent by id) and, with `since`, resolves it at once from the payload log; returns that delivery. */
  register(input: RegisterWaitRecord): Promise<{ delivery: WebhookDelivery | null }>;
  /** Removes a run's waits that no delivery claimed (timeout, cancellation, close); returns how many, and which of `waitIds` a delivery had claimed. */
  remove(workflowId: string, runId: string, waitIds?: string[]): Promise<{ removed: number; claimed: string[] }>;
  /** Logs a delivery's payload for later `since` look-ups. */
  recordPayload(input: { webhookId: string; delivery: WebhookDelivery; expiresAt: Date }): Promise<void>;
  /** The path sets a webhook's waits use. */
  pathSets(webhookId: string): Promise<PathSet[]>;
  /**
   * Claims the open waits whose match key is one of `matchKeys` and whose `if` holds, taking over
   * those claimed by an earlier attempt of the same event (its ingress may have died) or expired.
   */
  claim(input: ClaimInput): Promise<ClaimedWait[]>;
  /** Claimed by `delivery` or by another attempt of its event (both signaled the same event) → signaled. */
  markSignaled(delivery: Pick<WebhookDelivery, 'deliveryId' | 'eventId'>, waitIds: string[]): Promise<void>;
  /** Claimed by `deliveryId` → open again / stale. */
  reopen(deliveryId: string, waitIds: string[]): Promise<void>;
  markStale(deliveryId: string | null, waitIds: string[], reason: string): Promise<void>;
  /**
   * Claims in `temporalNamespace` older than CLAIM_TIMEOUT_MS (their ingress died), renewed to
   * `now` so one sweeper handles each, with the claimed delivery from the payload log.
   */
  takeExpiredClaims(temporalNamespace: string, now: Date, limit: number): Promise<ExpiredClaim[]>;
  /** Live waits of a webhook, oldest first. */
  listOpen(webhookId: string, page: { limit: number; after?: string }): Promise<Page<WaitRecord>>;
  /** Live waits in `temporalNamespace` not looked at since `before`, oldest look first (for the sweeper). */
  liveNotCheckedSince(temporalNamespace: string, before: Date, limit: number): Promise<ClaimedWait[]>;
  /** Marks waits as looked at now. */
  touch(waitIds: string[], now: Date): Promise<void>;
  /** Purges expired payloads, old resolved and stale waits, unused path sets; waits past their timeout become stale. */
  purge(now: Date): Promise<{ payloads: number; waits: number; expired: number }>;
}

// --- notification outbox (store/notification-outbox-repository.ts) ---

export interface OutboxEntry {
  /** Delivery id, derived from the event id and the subscription (the same on every re-execution). */
  id: string;
  subscriptionKey: string;
  envelope: { id: string; type: string } & Record<string, unknown>;
  namespace: string;
  taskQueue: string;
  /** How long the writer keeps the row for its own dispatcher before others may take it. */
  claimMs: number;
}

export interface ClaimedDelivery {
  id: string;
  subscriptionKey: string;
  envelope: { id: string; type: string } & Record<string, unknown>;
  /** Attempts already made (a row taken over after its dispatcher died between attempt and hand-off). */
  attempts: number;
}

export interface FirstAttemptOutcome {
  id: string;
  subscriptionKey: string;
  attempt: NotificationAttemptRecord;
  /** `pending`: retried next, by a workflow; the row stays queued (and claimed) until handed off. */
  status: 'succeeded' | 'failed' | 'pending';
}

export interface NotificationOutboxRepository {
  /** Inserts the entries whose id is new; returns those (a re-executed sink inserts nothing). */
  enqueue(entries: readonly OutboxEntry[]): Promise<ClaimedDelivery[]>;
  /** Claims up to `limit` queued rows of a task queue whose claim expired. */
  claimExpired(namespace: string, taskQueue: string, limit: number, claimMs: number): Promise<ClaimedDelivery[]>;
  /** Records attempts and statuses, and counts successes per subscription, in one statement. */
  recordAttempts(outcomes: readonly FirstAttemptOutcome[]): Promise<void>;
  /** The rows' retries now run in a workflow. */
  handOff(ids: readonly string[]): Promise<void>;
  /** Queued rows and the age of the oldest in seconds (0 when none): the metrics' outbox lag. */
  backlog(): Promise<{ queued: number; oldestSeconds: number }>;
}

// --- API tokens and the audit log (store/api-tokens-repository.ts, store/audit-log-repository.ts) ---

/** Roles from least to most: each allows what the ones before it do. */
export const API_TOKEN_ROLES = ['read', 'operate', 'admin'] as const;
export type ApiTokenRole = (typeof API_TOKEN_ROLES)[number];

export interface ApiTokenRecord {
  id: string;
  name: string;
  /** `thk_` and the value's first six characters: enough to tell tokens apart, not to use one. */
  prefix: string;
  role: ApiTokenRole;
  /** The namespaces it may reach; null: every namespace. */
  namespaces: string[] | null;
  expiresAt: Date | null;
  /** Who created it: a token's name, or `admin`. */
  createdBy: string;
  createdAt: Date;
}

export interface CreateApiTokenInput {
  name: string;
  role: ApiTokenRole;
  namespaces: string[] | null;
  expiresAt: Date | null;
  createdBy: string;
}

export interface ApiTokensRepository {
  /** Creates a token; its value is in the answer and nowhere else. A taken name is a 409 `already_exists`. */
  create(input: CreateApiTokenInput): Promise<{ record: ApiTokenRecord; token: string }>;
  /** The unexpired token whose value this is (expiry on the database's clock), or null. */
  authenticate(token: string): Promise<ApiTokenRecord | null>;
  get(name: string): Promise<ApiTokenRecord | null>;
  /** Every token, expired ones included, by name. */
  list(): Promise<ApiTokenRecord[]>;
  /** Revokes a token (deletes it); false when there is none of that name. */
  delete(name: string): Promise<boolean>;
}

export interface AuditEntryInput {
  /** A token's name, or `admin` for TEMPOHOOK_ADMIN_TOKEN. */
  actor: string;
  method: string;
  /** The route's pattern, e.g. `/v1/webhooks/:name`. */
  route: string;
  /** What it acted on, e.g. `webhooks/github`, `deliveries/<id>`, `tokens/ci`; null for none. */
  resource: string | null;
  namespace: string | null;
  status: number;
  requestId: string | null;
}

export interface AuditEntryRecord extends AuditEntryInput {
  id: string;
  at: Date;
}

export interface AuditFilter {
  actor?: string;
  namespace?: string;
  /** At or after. */
  since?: Date;
  /** Before. */
  until?: Date;
}

export interface AuditLogRepository {
  record(entry: AuditEntryInput): Promise<void>;
  /** Newest first, the rows `filter` keeps. */
  list(page: PageRequest, filter?: AuditFilter): Promise<Page<AuditEntryRecord>>;
  /** Deletes rows older than `before`, `batchSize` per statement, skipping locked rows; returns how many. */
  purge(before: Date, batchSize: number): Promise<number>;
}
