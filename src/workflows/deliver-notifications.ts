/**
 * `tempohookDeliverEvent`: delivers one event to each of its subscriptions as an independent,
 * retried activity (the subscription's own timeout and retry policy), then records a final
 * failure for those that never succeeded. Started per event by the dispatch activity, with the
 * event id in its workflow id, so it outlives the run that caused it and starts once.
 * `TempohookPlugin` adds it to the worker's workflows. Workflow-safe.
 */
import { proxyActivities, uuid4 } from '@temporalio/workflow';
import type { DeliverEventInput, DeliverEventResult, DeliveryTarget, NotificationActivities } from './notification-definitions';

const { tempohookFinishNotification } = proxyActivities<NotificationActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumInterval: '1 minute' },
  summary: 'record the final failure',
});

function deliveryActivity(target: DeliveryTarget) {
  return proxyActivities<NotificationActivities>({
    // The HTTP timeout is enforced inside; this bounds a worker that died mid-attempt.
    startToCloseTimeout: target.timeoutMs + 5_000,
    retry: {
      maximumAttempts: target.retry.maximumAttempts,
      initialInterval: target.retry.initialIntervalMs,
      backoffCoefficient: target.retry.backoffCoefficient,
      maximumInterval: target.retry.maximumIntervalMs,
    },
    summary: `deliver to ${target.subscriptionKey}`,
  }).tempohookDeliverNotification;
}

function finalError(err: unknown): string {
  const cause = (err as Error)?.cause as Error | undefined;
  return String(cause?.message ?? (err as Error)?.message ?? err);
}

export async function tempohookDeliverEvent(input: DeliverEventInput): Promise<DeliverEventResult> {
  const { envelope } = input;
  const deliveries = await Promise.all(
    input.targets.map(async (target) => {
      const deliveryId = target.deliveryId ?? uuid4();
      const { subscriptionKey } = target;
      try {
        await deliveryActivity(target)({ deliveryId, subscriptionKey, envelope });
        return { subscriptionKey, deliveryId, delivered: true };
      } catch (err) {
        const error = finalError(err);
        await tempohookFinishNotification({ deliveryId, subscriptionKey, error });
        return { subscriptionKey, deliveryId, delivered: false, error };
      }
    }),
  );
  return { deliveries };
}
