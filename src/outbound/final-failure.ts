/**
 * A delivery that failed for good: marked failed, counted against its subscription, and the
 * subscription disabled after `disableAfterFailures` in a row. Shared by the dispatcher (a
 * final first attempt) and `tempohookFinishNotification` (retries exhausted).
 */
import type { Logger } from '../logger';
import type { Store } from '../store/types';
import { DEFAULT_DISABLE_AFTER_FAILURES, type ResolvedSubscription } from './subscriptions';

export async function recordFinalFailure(
  deps: {
    store: Pick<Store, 'notificationDeliveries' | 'subscriptions'>;
    subscription: (key: string) => Promise<ResolvedSubscription | null>;
    logger?: Logger;
  },
  input: { deliveryId: string; subscriptionKey: string; error: string },
): Promise<void> {
  const { store } = deps;
  await store.notificationDeliveries.finish(input.deliveryId, 'failed', input.error);
  const sub = await deps.subscription(input.subscriptionKey);
  // Deliveries stopped because the subscription is gone, paused or already disabled do not count.
  if (!sub || !sub.spec.enabled || (await store.subscriptions.status(sub.key))?.disabledAt) return;
  const disableAfter = sub.spec.disableAfterFailures ?? DEFAULT_DISABLE_AFTER_FAILURES;
  const status = await store.subscriptions.recordFinalFailure(
    input.subscriptionKey,
    input.error,
    disableAfter,
    new Date(),
  );
  if (status.disabledAt)
    deps.logger?.warn('subscription disabled after consecutive failed deliveries', {
      subscription: input.subscriptionKey,
      failures: status.consecutiveFailures,
    });
}
