/**
 * The worker's notification activities, built by a factory over their dependencies:
 * - `tempohookDispatchEvent`: the first design's local-activity hand-off, still run by runs
 *   recorded with it; it now stores the event in the outbox like the sink does;
 * - `tempohookDeliverNotification`: one retried HTTP attempt (in `tempohookDeliverEvent`),
 *   recorded, classified for Temporal's retry;
 * - `tempohookFinishNotification`: a delivery that failed for good is counted, and the
 *   subscription disabled after too many in a row.
 */
import { activityInfo, ApplicationFailure } from '@temporalio/activity';
import type { Logger } from '../logger';
import type { NotificationMetrics } from '../metrics';
import { attemptDelivery } from '../outbound/attempt-delivery';
import { recordFinalFailure } from '../outbound/final-failure';
import { createOutboundGuard, type OutboundGuard } from '../outbound/outbound-guard';
import { createSubscriptionSource, type ResolvedSubscription } from '../outbound/subscriptions';
import type { Store } from '../store/types';
import type {
  DeliverNotificationInput,
  DispatchEventInput,
  DispatchEventResult,
  FinishNotificationInput,
  NotificationActivities,
} from '../workflows/notification-definitions';

export interface NotificationActivityDeps {
  /** The store, or undefined when notifications are off (no database configured). */
  store: () => Promise<Store | undefined>;
  /** Stores an event's deliveries in the outbox (what the sink does); resolves with how many. */
  recordEvent: (input: DispatchEventInput) => Promise<number>;
  /** Global subscriptions from the settings file. */
  settings?: readonly ResolvedSubscription[];
  /** TEMPOHOOK_OUTBOUND_ALLOW, or a guard built from it. */
  guard?: OutboundGuard;
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
  /** Counts retried attempts by outcome. */
  metrics?: NotificationMetrics;
}

/**
 * A receiver's failure is an expected outcome, already in the delivery log: the worker logs each
 * failed attempt, and a stack trace of our own code would only bury the reason.
 */
function withoutStack(failure: ApplicationFailure): ApplicationFailure {
  failure.stack = `${failure.name}: ${failure.message}`;
  return failure;
}

export function createNotificationActivities(deps: NotificationActivityDeps): NotificationActivities {
  const guard =
    deps.guard ?? createOutboundGuard(deps.env?.TEMPOHOOK_OUTBOUND_ALLOW ?? process.env.TEMPOHOOK_OUTBOUND_ALLOW);
  const requireStore = async (): Promise<Store> => {
    const store = await deps.store();
    if (!store)
      throw ApplicationFailure.nonRetryable(
        'notifications need a database: give TempohookPlugin a databaseUrl or store',
        'NotificationsNotConfigured',
      );
    return store;
  };

  return {
    async tempohookDispatchEvent(input: DispatchEventInput): Promise<DispatchEventResult> {
      return { targets: await deps.recordEvent(input) };
    },

    async tempohookDeliverNotification(input: DeliverNotificationInput): Promise<{ httpStatus: number }> {
      const store = await requireStore();
      const sub = await createSubscriptionSource(store, deps.settings).get(input.subscriptionKey);
      if (!sub)
        throw ApplicationFailure.nonRetryable(
          `subscription ${input.subscriptionKey} no longer exists`,
          'SubscriptionGone',
        );
      const status = await store.subscriptions.status(sub.key);
      if (!sub.spec.enabled || status?.disabledAt)
        throw ApplicationFailure.nonRetryable(`subscription ${sub.key} is disabled`, 'SubscriptionDisabled');

      await store.notificationDeliveries.ensure({
        id: input.deliveryId,
        subscriptionKey: sub.key,
        envelope: input.envelope as unknown as { id: string; type: string } & Record<string, unknown>,
      });
      const outcome = await attemptDelivery(
        { store, guard, ...(deps.env ? { env: deps.env } : {}), ...(deps.metrics ? { metrics: deps.metrics } : {}) },
        sub,
        input.envelope,
        activityInfo().attempt + (input.attemptOffset ?? 0),
      );
      await store.notificationDeliveries.recordAttempt(
        input.deliveryId,
        outcome.record,
        outcome.verdict === 'succeeded' ? 'succeeded' : 'pending',
      );
      if (outcome.verdict === 'succeeded') {
        await store.subscriptions.recordSuccess(sub.key, outcome.httpStatus, new Date());
        return { httpStatus: outcome.httpStatus! };
      }
      const message = outcome.error!;
      if (outcome.verdict === 'final')
        throw withoutStack(ApplicationFailure.nonRetryable(message, outcome.errorType ?? 'ReceiverRejected'));
      throw withoutStack(
        ApplicationFailure.create({
          message,
          type: outcome.errorType ?? 'ReceiverUnavailable',
          // nextRetryDelay steers Temporal's retry; the details carry it to the workflow after the local first attempt.
          ...(outcome.retryAfterMs !== undefined
            ? { nextRetryDelay: outcome.retryAfterMs, details: [{ retryAfterMs: outcome.retryAfterMs }] }
            : {}),
        }),
      );
    },

    async tempohookFinishNotification(input: FinishNotificationInput): Promise<void> {
      const store = await requireStore();
      const source = createSubscriptionSource(store, deps.settings);
      await recordFinalFailure(
        { store, subscription: (key) => source.get(key), ...(deps.logger ? { logger: deps.logger } : {}) },
        input,
      );
    },
  };
}
