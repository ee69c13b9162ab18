/**
 * The ingress side of waits: for one verified delivery of a signal webhook, log its payload,
 * find the waits it matches (equality by index, then `if` on those candidates only), claim them,
 * and signal each run. Answers which runs were signaled, or that Temporal was unavailable (the
 * claims of the unsignaled waits are undone, so the provider's retry resumes them).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Logger } from '../logger';
import type { WebhookSignalSpec } from '../resources/schemas';
import { DEFAULT_PAYLOAD_RETENTION_SECONDS } from '../resources/schemas';
import type { ClaimedWait } from '../store/waits-repository';
import type { Store } from '../store/types';
import { webhookDeliveredSignal, type WebhookDelivery } from '../workflows/definitions';
import { describeTemporalError, grpcCode, PERMANENT_GRPC_CODES } from '../ingress/workflow-starter';
import { conditionHolds } from './condition';
import { deliveryMatchKey } from './match';

/** Signals in flight at once for one delivery. */
const SIGNAL_CONCURRENCY = 32;
const NOT_FOUND = 5;

export interface SignaledWait {
  workflowId: string;
  runId: string;
  waitId: string;
}

export type SignalWaitsOutcome =
  | { kind: 'signaled'; signaled: SignaledWait[] }
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
}

/** Logs the payload for later `since` look-ups. Throws when the store is unavailable. */
export async function logDeliveryPayload(input: Pick<SignalWaitsInput, 'store' | 'webhook' | 'signal' | 'delivery'>): Promise<void> {
  const retentionMs = (input.signal.payloadRetention ?? DEFAULT_PAYLOAD_RETENTION_SECONDS) * 1000;
  await input.store.waits.recordPayload({ webhookId: input.webhook.id, delivery: input.delivery, expiresAt: new Date(Date.parse(input.delivery.receivedAt) + retentionMs) });
}

/** Claims the waits a delivery matches (store errors propagate: the caller answers 503). */
export async function claimMatchingWaits(input: Omit<SignalWaitsInput, 'client' | 'logger' | 'temporalTimeoutMs'> & { temporalNamespace: string }): Promise<ClaimedWait[]> {
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
      wait.condition === null || conditionHolds(wait.condition, { payload: delivery.payload, headers: delivery.headers, vars: wait.vars ?? {}, source: delivery.source, eventId: delivery.eventId }),
  });
}

type SignalResult = 'signaled' | 'gone' | 'unavailable';

/** Runs `task` over `items`, at most `limit` at a time. */
async function forEachLimited<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}

/** Logs the payload, claims the matching waits and signals their runs. Store errors propagate (503). */
export async function signalMatchingWaits(input: SignalWaitsInput): Promise<SignalWaitsOutcome> {
  const { store, client, delivery, logger } = input;
  await logDeliveryPayload(input);
  const claimed = await claimMatchingWaits({ ...input, temporalNamespace: client.options.namespace });
  if (claimed.length === 0) return { kind: 'signaled', signaled: [] };

  const results = new Map<string, SignalResult>();
  let lastError = '';
  await forEachLimited(claimed, SIGNAL_CONCURRENCY, async (wait) => {
    try {
      await client.withDeadline(Date.now() + input.temporalTimeoutMs, () => client.workflow.getHandle(wait.workflowId, wait.runId).signal(webhookDeliveredSignal, { waitId: wait.id, delivery }));
      results.set(wait.id, 'signaled');
    } catch (err) {
      const code = grpcCode(err);
      // NOT_FOUND: the run closed (completed, terminated, timed out, reset); it is never signaled again.
      if (err instanceof WorkflowNotFoundError || code === NOT_FOUND || (code !== undefined && PERMANENT_GRPC_CODES.has(code))) {
        results.set(wait.id, 'gone');
        logger.info('wait is stale: its run cannot be signaled', { waitId: wait.id, workflowId: wait.workflowId, runId: wait.runId, error: describeTemporalError(err) });
      } else {
        results.set(wait.id, 'unavailable');
        lastError = describeTemporalError(err);
      }
    }
  });

  const ids = (result: SignalResult) => claimed.filter((w) => results.get(w.id) === result).map((w) => w.id);
  // Bookkeeping after Temporal took the signals: a failure here is logged; an unmarked claim expires and
  // may be signaled again, which the run ignores (it takes one delivery per wait).
  await Promise.all([
    store.waits.markSignaled(delivery.deliveryId, ids('signaled')),
    store.waits.markStale(delivery.deliveryId, ids('gone'), 'the run could not be signaled (closed or not found)'),
    store.waits.reopen(delivery.deliveryId, ids('unavailable')),
  ]).catch((err: unknown) => logger.error('could not record wait outcomes', { deliveryId: delivery.deliveryId, error: (err as Error).message }));

  const signaled = claimed.filter((w) => results.get(w.id) === 'signaled').map((w) => ({ workflowId: w.workflowId, runId: w.runId, waitId: w.id }));
  const unavailable = ids('unavailable');
  return unavailable.length > 0 ? { kind: 'unavailable', signaled, detail: `${unavailable.length} of ${claimed.length} signals failed: ${lastError}` } : { kind: 'signaled', signaled };
}
