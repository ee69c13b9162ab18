/**
 * The worker's notification dispatcher: sends first attempts from the outbox, batched per
 * subscription (one claim, one secrets lookup, one statement recording every attempt of the
 * batch and the subscription's counters). A delivery whose first attempt should be retried is
 * handed to a `tempohookDeliverEvent` workflow, whose retried activity follows the
 * subscription's policy (visible in Temporal while it fails); a final failure is counted
 * against the subscription. Rows this worker wrote come straight from the outbox writer; rows
 * of a worker that died are claimed once their claim expires (polled every `pollIntervalMs`).
 */
import type { Client } from '@temporalio/client';
import { resolveSecrets, type ResolvedSecrets } from '../resources/secret-resolver';
import type { Logger } from '../logger';
import type { NotificationMetrics } from '../metrics';
import { secretRefs } from '../resources/schemas';
import type { ClaimedDelivery, FirstAttemptOutcome } from '../store/types';
import type { Store } from '../store/types';
import type { NotificationEnvelope } from '../workflows/notification-definitions';
import { attemptDelivery, type AttemptOutcome } from './attempt-delivery';
import { deliverEventWorkflowId, startDeliverEvent } from './deliver-event';
import { recordFinalFailure } from './final-failure';
import type { OutboundGuard } from './outbound-guard';
import type { SubscriptionCache, SubscriptionSnapshot } from './subscription-cache';
import { DEFAULT_TIMEOUT_SECONDS, deliveryTarget, type ResolvedSubscription } from './subscriptions';

export interface DispatcherOptions {
  store: Pick<Store, 'notificationOutbox' | 'notificationDeliveries' | 'subscriptions' | 'secrets'>;
  cache: SubscriptionCache;
  client: Pick<Client, 'workflow'>;
  namespace: string;
  taskQueue: string;
  guard: OutboundGuard;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** How often to look for rows of dead workers (default 1 s). */
  pollIntervalMs?: number;
  /** Deliveries per batch (default 50) and attempts in flight per subscription (default 16). */
  batchSize?: number;
  concurrency?: number;
  /** Counts first attempts by outcome. */
  metrics?: NotificationMetrics;
}

export interface Dispatcher {
  /** Queues rows this worker claimed (fresh from the outbox writer). */
  take(rows: readonly ClaimedDelivery[]): void;
  stop(): Promise<void>;
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

export function startDispatcher(options: DispatcherOptions): Dispatcher {
  const { store, cache, logger } = options;
  const batchSize = options.batchSize ?? 50;
  const concurrency = options.concurrency ?? 16;
  const queues = new Map<string, ClaimedDelivery[]>();
  const draining = new Map<string, Promise<void>>();
  let stopped = false;

  const subscriptionOf = async (key: string) => (await cache.get()).byKey.get(key) ?? null;

  /** A subscription deleted, paused or disabled since the event was stored: its deliveries stop uncounted. */
  const inactive = (snapshot: SubscriptionSnapshot, key: string): string | undefined => {
    const sub = snapshot.byKey.get(key);
    if (!sub) return `subscription ${key} no longer exists`;
    if (!sub.spec.enabled || snapshot.disabled.has(key)) return `subscription ${key} is disabled`;
    return undefined;
  };

  const handOff = async (
    sub: ResolvedSubscription,
    retried: Array<{ row: ClaimedDelivery; outcome: AttemptOutcome }>,
  ) => {
    const started: string[] = [];
    await Promise.all(
      retried.map(async ({ row, outcome }) => {
        const envelope = row.envelope as unknown as NotificationEnvelope;
        try {
          const target = deliveryTarget(sub, row.id);
          // The wait before the first retry is the workflow's start delay: nothing runs on the task queue meanwhile.
          const delayMs = outcome.retryAfterMs ?? target.retry.initialIntervalMs;
          await startDeliverEvent(
            options.client,
            options.taskQueue,
            deliverEventWorkflowId(envelope.id, sub.key),
            { envelope, targets: [{ ...target, attemptsMade: outcome.record.attempt, delayedStart: true }] },
            delayMs,
          );
          started.push(row.id);
        } catch (err) {
          // The row stays queued; its claim expires and a dispatcher tries again.
          logger?.warn('could not start the retry workflow of a delivery; retried later', {
            deliveryId: row.id,
            error: (err as Error).message,
          });
        }
      }),
    );
    await store.notificationOutbox.handOff(started);
  };

  const deliverBatch = async (key: string, rows: ClaimedDelivery[]) => {
    const snapshot = await cache.get();
    const stop = inactive(snapshot, key);
    if (stop) {
      await Promise.all(rows.map((r) => store.notificationDeliveries.finish(r.id, 'failed', stop)));
      return;
    }
    const sub = snapshot.byKey.get(key)!;
    let secrets: ResolvedSecrets | undefined;
    try {
      secrets = await resolveSecrets(store, sub.namespace, secretRefs(sub.spec), options.env);
    } catch {
      secrets = undefined; // resolved per attempt instead, where a failure is logged as the attempt's error
    }
    const deps = {
      store,
      guard: options.guard,
      ...(options.env ? { env: options.env } : {}),
      ...(secrets ? { secrets } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
    };
    const outcomes = await mapLimited(rows, concurrency, async (row) => ({
      row,
      outcome: await attemptDelivery(deps, sub, row.envelope as unknown as NotificationEnvelope, row.attempts + 1),
    }));
    await store.notificationOutbox.recordAttempts(
      outcomes.map(({ row, outcome }): FirstAttemptOutcome => ({
        id: row.id,
        subscriptionKey: key,
        attempt: outcome.record,
        status: outcome.verdict === 'succeeded' ? 'succeeded' : outcome.verdict === 'final' ? 'failed' : 'pending',
      })),
    );
    for (const { row, outcome } of outcomes) {
      if (outcome.verdict === 'succeeded') continue;
      logger?.warn('notification attempt failed', {
        subscription: key,
        eventId: row.envelope.id,
        deliveryId: row.id,
        attempt: outcome.record.attempt,
        error: outcome.error,
      });
    }
    const { maximumAttempts } = deliveryTarget(sub).retry;
    const exhausted = (o: AttemptOutcome) => o.verdict === 'final' || o.record.attempt >= maximumAttempts;
    for (const { row, outcome } of outcomes) {
      if (outcome.verdict !== 'succeeded' && exhausted(outcome))
        await recordFinalFailure(
          { store, subscription: subscriptionOf, ...(logger ? { logger } : {}) },
          { deliveryId: row.id, subscriptionKey: key, error: outcome.error ?? 'failed' },
        );
    }
    await handOff(
      sub,
      outcomes.filter(({ outcome }) => outcome.verdict === 'retry' && !exhausted(outcome)),
    );
  };

  const drain = async (key: string) => {
    for (;;) {
      const queue = queues.get(key);
      if (!queue || queue.length === 0) break;
      const rows = queue.splice(0, batchSize);
      try {
        await deliverBatch(key, rows);
      } catch (err) {
        // Left queued under their claim: taken again once it expires.
        logger?.warn('notification batch failed; its deliveries are retried when their claim expires', {
          subscription: key,
          deliveries: rows.length,
          error: (err as Error).message,
        });
      }
    }
    queues.delete(key);
    draining.delete(key);
  };

  const take = (rows: readonly ClaimedDelivery[]) => {
    for (const row of rows) {
      const queue = queues.get(row.subscriptionKey) ?? [];
      queue.push(row);
      queues.set(row.subscriptionKey, queue);
      if (!draining.has(row.subscriptionKey)) draining.set(row.subscriptionKey, drain(row.subscriptionKey));
    }
  };

  let timer: NodeJS.Timeout | undefined;
  const poll = async () => {
    const snapshot = await cache.get();
    if (snapshot.candidates.length === 0) return;
    const longest = Math.max(...snapshot.candidates.map((s) => (s.spec.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000));
    take(
      await store.notificationOutbox.claimExpired(options.namespace, options.taskQueue, batchSize * 4, longest + 5_000),
    );
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      poll()
        .catch((err: unknown) =>
          logger?.warn('could not look for queued notifications', { error: (err as Error).message }),
        )
        .finally(schedule);
    }, options.pollIntervalMs ?? 1_000);
  };
  schedule();

  return {
    take(rows) {
      if (!stopped) take(rows);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await Promise.all([...draining.values()]);
    },
  };
}
