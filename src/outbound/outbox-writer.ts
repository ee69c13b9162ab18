/**
 * Makes events durable: matches each against the cached subscriptions and inserts one queued
 * delivery per match into the outbox, idempotently (the delivery id is derived from the event
 * id and the subscription, so a re-executed workflow task inserts nothing new). Inserts from
 * concurrent callers go in one statement (group commit). A failed insert is retried until it
 * succeeds: the workflow sink awaits it, so the workflow task that produced the event does not
 * complete before the event is stored (and is re-executed elsewhere if this worker dies).
 * No matching subscription: no database round trip at all.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../logger';
import type { ClaimedDelivery, OutboxEntry } from '../store/types';
import type { Store } from '../store/types';
import type { NotificationEnvelope } from '../workflows/notification-definitions';
import { withStepAttempt } from './step-attempts';
import type { SubscriptionCache } from './subscription-cache';
import { DEFAULT_TIMEOUT_SECONDS, matchSubscriptions, type ResolvedSubscription } from './subscriptions';

/** A UUID (version 5 layout) from the event id and the subscription: stable across re-executions. */
export function deliveryIdFor(eventId: string, subscriptionKey: string): string {
  const hex = createHash('sha256').update(`${eventId}\n${subscriptionKey}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** How long the writer's own dispatcher holds a new row: the attempt's timeout plus a margin. */
export function claimMsFor(sub: ResolvedSubscription): number {
  return Math.round((sub.spec.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000) + 5_000;
}

export interface OutboxWriter {
  /** Stores the event's deliveries; resolves with the rows inserted now (for this worker's dispatcher). */
  record(envelope: NotificationEnvelope, runSubscriptions: readonly string[]): Promise<ClaimedDelivery[]>;
  /** Stops retrying failed inserts (worker shutdown). */
  close(): void;
}

export function createOutboxWriter(deps: {
  store: Pick<Store, 'notificationOutbox'>;
  cache: SubscriptionCache;
  logger?: Logger;
  /** Backoff between retries of a failed insert (default 200 ms doubling to 2 s). */
  retryDelayMs?: (failures: number) => number;
}): OutboxWriter {
  let waiting: Array<{ entries: OutboxEntry[]; done: (rows: ClaimedDelivery[]) => void; fail: (e: Error) => void }> =
    [];
  let writing = false;
  let closed = false;
  const delay = deps.retryDelayMs ?? ((n: number) => Math.min(2_000, 200 * 2 ** (n - 1)));

  /** Runs `fn` until it succeeds (or the writer closes): the caller's workflow task waits meanwhile. */
  const untilDone = async <T>(fn: () => Promise<T>, what: string): Promise<T> => {
    for (let failures = 1; ; failures++) {
      try {
        return await fn();
      } catch (err) {
        if (closed) throw err;
        if (failures === 1 || failures % 10 === 0)
          deps.logger?.warn(`cannot ${what} yet; the workflow task waits and retries`, {
            failures,
            error: (err as Error).message,
          });
        await new Promise((r) => setTimeout(r, delay(failures)));
      }
    }
  };

  const drain = async () => {
    writing = true;
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      try {
        const entries = batch.flatMap((b) => b.entries);
        const inserted = await untilDone(() => deps.store.notificationOutbox.enqueue(entries), 'store notifications');
        const ids = new Set(inserted.map((r) => r.id));
        for (const b of batch) b.done(inserted.filter((r) => b.entries.some((e) => e.id === r.id && ids.has(r.id))));
      } catch (err) {
        for (const b of batch) b.fail(err as Error);
      }
    }
    writing = false;
  };

  return {
    async record(envelope, runSubscriptions) {
      const snapshot = await untilDone(() => deps.cache.get(), 'load subscriptions');
      const chosen = matchSubscriptions(snapshot.candidates, envelope, runSubscriptions, snapshot.disabled);
      if (chosen.length === 0 || !envelope.workflow) return [];
      const stored = withStepAttempt(envelope);
      const { namespace, taskQueue } = envelope.workflow;
      const entries = chosen.map((sub): OutboxEntry => ({
        id: deliveryIdFor(envelope.id, sub.key),
        subscriptionKey: sub.key,
        envelope: stored as unknown as OutboxEntry['envelope'],
        namespace,
        taskQueue,
        claimMs: claimMsFor(sub),
      }));
      return new Promise<ClaimedDelivery[]>((done, fail) => {
        waiting.push({ entries, done, fail });
        if (!writing) void drain();
      });
    },
    close() {
      closed = true;
    },
  };
}
