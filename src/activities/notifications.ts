/**
 * The worker's notification activities, built by a factory over their dependencies:
 * - `tempohookDispatchEvent` (a local activity in the run): finds the event's subscriptions and
 *   starts one `tempohookDeliverEvent` workflow for it, its id derived from the event id, so a
 *   retried hand-off never starts a second one;
 * - `tempohookDeliverNotification`: one HTTP attempt, recorded, classified for Temporal's retry;
 * - `tempohookFinishNotification`: a delivery that failed for good is counted, and the
 *   subscription disabled after too many in a row.
 */
import { activityInfo, ApplicationFailure, Context } from '@temporalio/activity';
import type { Logger } from '../logger';
import { createOutboundGuard, OutboundRefusedError, type OutboundGuard } from '../outbound/outbound-guard';
import { classifyStatus, sendNotification, SigningSecretMissingError } from '../outbound/send-notification';
import { deliverEventWorkflowId, startDeliverEvent } from '../outbound/deliver-event';
import { takeStepAttempt } from '../outbound/step-attempts';
import {
  createSubscriptionSource,
  DEFAULT_DISABLE_AFTER_FAILURES,
  deliveryTarget,
  matchSubscriptions,
  type ResolvedSubscription,
} from '../outbound/subscriptions';
import type { Store } from '../store/types';
import {
  type DeliverNotificationInput,
  type DispatchEventInput,
  type DispatchEventResult,
  type FinishNotificationInput,
  type NotificationActivities,
  type NotificationEnvelope,
} from '../workflows/notification-definitions';

export interface NotificationActivityDeps {
  /** The store, or undefined when notifications are off (no database configured). */
  store: () => Promise<Store | undefined>;
  /** Global subscriptions from the settings file. */
  settings?: readonly ResolvedSubscription[];
  /** TEMPOHOOK_OUTBOUND_ALLOW, or a guard built from it. */
  guard?: OutboundGuard;
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
}

/**
 * A receiver's failure is an expected outcome, already in the delivery log: the worker logs each
 * failed attempt, and a stack trace of our own code would only bury the reason.
 */
function withoutStack(failure: ApplicationFailure): ApplicationFailure {
  failure.stack = `${failure.name}: ${failure.message}`;
  return failure;
}

/** A `step.*` envelope with the attempt that settled the step (see step-attempts.ts). */
function withStepAttempt(envelope: NotificationEnvelope): NotificationEnvelope {
  const activityId = envelope.data.activityId;
  if (!envelope.type.startsWith('step.') || !envelope.workflow || typeof activityId !== 'string') return envelope;
  return {
    ...envelope,
    data: { ...envelope.data, attempt: takeStepAttempt(envelope.workflow.id, envelope.workflow.runId, activityId) },
  };
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
      const store = await deps.store();
      if (!store) return { targets: 0 };
      const envelope = withStepAttempt(input.envelope);
      const source = createSubscriptionSource(store, deps.settings);
      const [candidates, disabled] = await Promise.all([source.all(), store.subscriptions.disabledKeys()]);
      const chosen = matchSubscriptions(candidates, envelope, input.runSubscriptions, disabled);
      if (chosen.length === 0) return { targets: 0 };
      await startDeliverEvent(
        Context.current().client,
        envelope.workflow!.taskQueue,
        deliverEventWorkflowId(envelope.id),
        {
          envelope,
          targets: chosen.map((sub) => deliveryTarget(sub)),
        },
      );
      return { targets: chosen.length };
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
      const attempt = activityInfo().attempt + (input.attemptOffset ?? 0);
      const startedAt = new Date();
      try {
        const answer = await sendNotification(
          { store, guard, ...(deps.env ? { env: deps.env } : {}) },
          sub,
          input.envelope,
        );
        const verdict = classifyStatus(answer.httpStatus);
        const error = verdict === 'succeeded' ? null : `receiver answered HTTP ${answer.httpStatus}`;
        await store.notificationDeliveries.recordAttempt(
          input.deliveryId,
          {
            attempt,
            startedAt,
            durationMs: answer.durationMs,
            httpStatus: answer.httpStatus,
            responseBody: answer.responseBody,
            error,
          },
          verdict === 'succeeded' ? 'succeeded' : 'pending',
        );
        if (verdict === 'succeeded') {
          await store.subscriptions.recordSuccess(sub.key, answer.httpStatus, new Date());
          return { httpStatus: answer.httpStatus };
        }
        if (verdict === 'final') throw withoutStack(ApplicationFailure.nonRetryable(error, 'ReceiverRejected'));
        throw withoutStack(
          ApplicationFailure.create({
            message: error!,
            type: 'ReceiverUnavailable',
            // nextRetryDelay steers Temporal's retry; the details carry it to the workflow after the local first attempt.
            ...(answer.retryAfterMs !== undefined
              ? {
                  nextRetryDelay: Math.min(answer.retryAfterMs, 24 * 3600_000),
                  details: [{ retryAfterMs: Math.min(answer.retryAfterMs, 24 * 3600_000) }],
                }
              : {}),
          }),
        );
      } catch (err) {
        if (err instanceof ApplicationFailure) throw err;
        const message = (err as Error).message || String(err);
        await store.notificationDeliveries.recordAttempt(
          input.deliveryId,
          {
            attempt,
            startedAt,
            durationMs: Date.now() - startedAt.getTime(),
            httpStatus: null,
            responseBody: null,
            error: message,
          },
          'pending',
        );
        if (err instanceof OutboundRefusedError)
          throw withoutStack(ApplicationFailure.nonRetryable(message, 'OutboundAddressRefused'));
        if (err instanceof SigningSecretMissingError)
          throw withoutStack(ApplicationFailure.retryable(message, 'SigningSecretMissing'));
        throw withoutStack(
          ApplicationFailure.retryable(`could not reach the receiver: ${message}`, 'ReceiverUnreachable'),
        );
      }
    },

    async tempohookFinishNotification(input: FinishNotificationInput): Promise<void> {
      const store = await requireStore();
      await store.notificationDeliveries.finish(input.deliveryId, 'failed', input.error);
      const sub = await createSubscriptionSource(store, deps.settings).get(input.subscriptionKey);
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
    },
  };
}
