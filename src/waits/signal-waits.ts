/**
 * The ingress side of waits: for one verified delivery of a signal webhook, log its payload,
 * find the waits it matches (equality by index, then `if` on those candidates only), claim them,
 * and signal each run. Answers which runs were signaled, or that Temporal was unavailable (the
 * claims of the unsignaled waits are undone, so the provider's retry resumes them). The sweeper
 * signals the claims of an ingress that died with the same `signalClaimedWaits`.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Logger } from '../logger';
import type { WebhookSignalSpec } from '../resources/schemas';
import { DEFAULT_PAYLOAD_RETENTION_SECONDS } from '../resources/schemas';
import type { ClaimedWait } from '../store/types';
import type { Store } from '../store/types';
import { webhookDeliveredSignal, type WebhookDelivery } from '../workflows/definitions';
import { describeTemporalError, grpcCode, PERMANENT_GRPC_CODES } from '../temporal/errors';
import { conditionHolds } from './condition';
import { deliveryMatchKey } from './match';

/** Signals in flight at once for one delivery. */
const SIGNAL_CONCURRENCY = 32;
/** Fan-outs up to this size are signaled before the answer; larger ones once the claims commit, after it. */
export const SIGNALS_BEFORE_ANSWER = 32;
const NOT_FOUND = 5;

export interface SignaledWait {
  workflowId: string;
  runId: string;
  waitId: string;
}

export type SignalWaitsOutcome =
  | { kind: 'signaled'; signaled: SignaledWait[] }
  /**
   * A large fan-out: the claims are committed and the signals go out after the answer, in the
   * background (`runInBackground`); a claim this ingress does not finish is the sweeper's.
   */
  | { kind: 'claimed'; claimed: SignaledWait[] }
  /** Temporal did not take every signal: the rest are open again; answer 503 so the provider retries. */
  | { kind: 'unavailable'; signaled: SignaledWait[]; detail: string };

export interface SignalWaitsInput {
  store: Store;
  client: Client;
  logger: Logger;
  temporalTimeoutMs: number;
  webhook: { id: string; name: string };
  signal: WebhookSignalSpec;
  /** Headers already reduced to the visible ones (see visibleHeaders). */
  delivery: WebhookDelivery;
  now: Date;
  /**
   * Given, a fan-out larger than `SIGNALS_BEFORE_ANSWER` is signaled after the answer: the task
   * is handed here (the ingress waits for it on shutdown).
   */
  runInBackground?: (task: Promise<void>) => void;
}

/** Logs the payload for later `since` look-ups. Throws when the store is unavailable. */
export async function logDeliveryPayload(
  input: Pick<SignalWaitsInput, 'store' | 'webhook' | 'signal' | 'delivery'>,
): Promise<void> {
  const retentionMs = (input.signal.payloadRetention ?? DEFAULT_PAYLOAD_RETENTION_SECONDS) * 1000;
  await input.store.waits.recordPayload({
    webhookId: input.webhook.id,
    delivery: input.delivery,
    expiresAt: new Date(Date.parse(input.delivery.receivedAt) + retentionMs),
  });
}

/** Claims the waits a delivery matches (store errors propagate: the caller answers 503). */
export async function claimMatchingWaits(
  input: Omit<SignalWaitsInput, 'client' | 'logger' | 'temporalTimeoutMs'> & { temporalNamespace: string },
): Promise<ClaimedWait[]> {
  const { store, delivery } = input;
  const subject = { payload: delivery.payload, headers: delivery.headers };
  const pathSets = await store.waits.pathSets(input.webhook.id);
  const matchKeys = pathSets.map((set) => deliveryMatchKey(set, subject)).filter((key): key is string => key !== null);
  return store.waits.claim({
    webhookId: input.webhook.id,
    temporalNamespace: input.temporalNamespace,
    matchKeys,
    ...(input.signal.workflowTypes ? { workflowTypes: input.signal.workflowTypes } : {}),
    deliveryId: delivery.deliveryId,
    eventId: delivery.eventId,
    now: input.now,
    accepts: (wait) =>
      wait.condition === null ||
      conditionHolds(wait.condition, {
        payload: delivery.payload,
        headers: delivery.headers,
        vars: wait.vars ?? {},
        source: delivery.source,
        eventId: delivery.eventId,
      }),
  });
}

/** Runs `task` over `items`, at most `limit` at a time. */
async function forEachLimited<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}

/** What became of the signals to a delivery's claimed waits. */
export interface SignalResults {
  signaled: ClaimedWait[];
  /** The run closed (completed, terminated, timed out, reset): never signaled again. */
  gone: ClaimedWait[];
  /** Temporal did not take the signal; `lastError` says why. */
  unavailable: ClaimedWait[];
  lastError: string;
}

/**
 * Signals each claimed wait's run with `delivery` and records the outcome: signaled or stale.
 * A wait Temporal did not take is reopened when `unavailable` is 'reopen' (the provider retries
 * the delivery) or stays claimed for the sweeper's next try when 'keep'.
 */
export async function signalClaimedWaits(
  input: Pick<SignalWaitsInput, 'store' | 'client' | 'logger' | 'temporalTimeoutMs' | 'delivery'> & {
    claimed: ClaimedWait[];
    unavailable: 'reopen' | 'keep';
  },
): Promise<SignalResults> {
  const { store, client, delivery, logger } = input;
  const results: SignalResults = { signaled: [], gone: [], unavailable: [], lastError: '' };
  await forEachLimited(input.claimed, SIGNAL_CONCURRENCY, async (wait) => {
    try {
      await client.withDeadline(Date.now() + input.temporalTimeoutMs, () =>
        client.workflow
          .getHandle(wait.workflowId, wait.runId)
          .signal(webhookDeliveredSignal, { waitId: wait.id, delivery }),
      );
      results.signaled.push(wait);
    } catch (err) {
      const code = grpcCode(err);
      // NOT_FOUND: the run closed (completed, terminated, timed out, reset); it is never signaled again.
      if (
        err instanceof WorkflowNotFoundError ||
        code === NOT_FOUND ||
        (code !== undefined && PERMANENT_GRPC_CODES.has(code))
      ) {
        results.gone.push(wait);
        logger.info('wait is stale: its run cannot be signaled', {
          waitId: wait.id,
          workflowId: wait.workflowId,
          runId: wait.runId,
          error: describeTemporalError(err),
        });
      } else {
        results.unavailable.push(wait);
        results.lastError = describeTemporalError(err);
      }
    }
  });

  const ids = (waits: ClaimedWait[]) => waits.map((w) => w.id);
  // Bookkeeping after Temporal took the signals: a failure here is logged; an unmarked claim expires and
  // is signaled again by the sweeper, which the run ignores (it takes one delivery per wait).
  await Promise.all([
    store.waits.markSignaled(delivery, ids(results.signaled)),
    store.waits.markStale(
      delivery.deliveryId,
      ids(results.gone),
      'the run could not be signaled (closed or not found)',
    ),
    input.unavailable === 'reopen' ? store.waits.reopen(delivery.deliveryId, ids(results.unavailable)) : undefined,
  ]).catch((err: unknown) =>
    logger.error('could not record wait outcomes', { deliveryId: delivery.deliveryId, error: (err as Error).message }),
  );
  return results;
}

/** Logs the payload, claims the matching waits and signals their runs. Store errors propagate (503). */
export async function signalMatchingWaits(input: SignalWaitsInput): Promise<SignalWaitsOutcome> {
  await logDeliveryPayload(input);
  const claimed = await claimMatchingWaits({ ...input, temporalNamespace: input.client.options.namespace });
  if (claimed.length === 0) return { kind: 'signaled', signaled: [] };

  const described = (waits: ClaimedWait[]) =>
    waits.map((w) => ({ workflowId: w.workflowId, runId: w.runId, waitId: w.id }));
  if (input.runInBackground && claimed.length > SIGNALS_BEFORE_ANSWER) {
    // The claims are durable: what this ingress does not signal (it dies, Temporal goes away)
    // stays claimed, and the sweeper signals it from the payload log after CLAIM_TIMEOUT_MS.
    input.runInBackground(
      signalClaimedWaits({ ...input, claimed, unavailable: 'keep' }).then(
        (results) => {
          if (results.unavailable.length > 0)
            input.logger.warn('signals left to the sweeper: Temporal did not take them', {
              deliveryId: input.delivery.deliveryId,
              waits: results.unavailable.length,
              error: results.lastError,
            });
        },
        (err: unknown) =>
          input.logger.error('background signals failed; the sweeper finishes the claims', {
            deliveryId: input.delivery.deliveryId,
            error: (err as Error).message,
          }),
      ),
    );
    return { kind: 'claimed', claimed: described(claimed) };
  }

  const results = await signalClaimedWaits({ ...input, claimed, unavailable: 'reopen' });
  const took = new Set(results.signaled);
  const signaled = described(claimed.filter((w) => took.has(w)));
  const failed = results.unavailable.length;
  return failed > 0
    ? { kind: 'unavailable', signaled, detail: `${failed} of ${claimed.length} signals failed: ${results.lastError}` }
    : { kind: 'signaled', signaled };
}
