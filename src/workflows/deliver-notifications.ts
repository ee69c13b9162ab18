/**
 * `tempohookDeliverEvent`: delivers one event to each of its subscriptions independently, then
 * records a final failure for those that never succeeded. Started by the worker's dispatcher
 * for a delivery whose first attempt failed and should be retried (targets carry
 * `attemptsMade`: only the retries run here), and by a redelivery; runs of the first design
 * started one per event. The event id is in its workflow id, so it starts once. The first attempt is a local activity (no activity-task round trip: most
 * receivers answer at once); retries are a regular activity under the subscription's own
 * timeout and retry policy, resumed by another worker if this one dies.
 * `TempohookPlugin` adds this workflow to the worker's workflows. Workflow-safe.
 */
import { ApplicationFailure, proxyActivities, proxyLocalActivities, sleep, uuid4 } from '@temporalio/workflow';
import type {
  DeliverEventInput,
  DeliverEventResult,
  DeliverNotificationInput,
  DeliveryTarget,
  NotificationActivities,
} from './notification-definitions';

const { tempohookFinishNotification } = proxyActivities<NotificationActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumInterval: '1 minute' },
  summary: 'record the final failure',
});

function firstAttempt(target: DeliveryTarget) {
  return proxyLocalActivities<NotificationActivities>({
    startToCloseTimeout: target.timeoutMs + 5_000,
    retry: { maximumAttempts: 1 },
  }).tempohookDeliverNotification;
}

function retries(target: DeliveryTarget) {
  return proxyActivities<NotificationActivities>({
    // The HTTP timeout is enforced inside; this bounds a worker that died mid-attempt.
    startToCloseTimeout: target.timeoutMs + 5_000,
    retry: {
      maximumAttempts: target.retry.maximumAttempts - 1,
      initialInterval: target.retry.initialIntervalMs,
      backoffCoefficient: target.retry.backoffCoefficient,
      maximumInterval: target.retry.maximumIntervalMs,
    },
    summary: `deliver to ${target.subscriptionKey}`,
  }).tempohookDeliverNotification;
}

function applicationFailure(err: unknown): ApplicationFailure | undefined {
  const cause = (err as Error)?.cause;
  return cause instanceof ApplicationFailure ? cause : err instanceof ApplicationFailure ? err : undefined;
}

function finalError(err: unknown): string {
  return String(applicationFailure(err)?.message ?? (err as Error)?.message ?? err);
}

/** The receiver's Retry-After, which the delivery activity puts in its failure's details. */
function retryAfterMs(failure: ApplicationFailure | undefined): number | undefined {
  const value = (failure?.details?.[0] as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  return typeof value === 'number' ? value : undefined;
}

async function deliver(target: DeliveryTarget, input: DeliverNotificationInput): Promise<void> {
  if (target.attemptsMade !== undefined) {
    // The dispatcher made the first attempts: only the retries run here, after the start delay (or a sleep).
    if (!target.delayedStart) await sleep(target.retryAfterMs ?? target.retry.initialIntervalMs);
    await retries({
      ...target,
      retry: { ...target.retry, maximumAttempts: target.retry.maximumAttempts - target.attemptsMade + 1 },
    })({
      ...input,
      attemptOffset: target.attemptsMade,
    });
    return;
  }
  try {
    await firstAttempt(target)(input);
    return;
  } catch (err) {
    const failure = applicationFailure(err);
    if (failure?.nonRetryable || target.retry.maximumAttempts <= 1) throw err;
    // The receiver's Retry-After when it sent one, else the policy's first interval.
    await sleep(retryAfterMs(failure) ?? target.retry.initialIntervalMs);
  }
  await retries(target)({ ...input, attemptOffset: 1 });
}

export async function tempohookDeliverEvent(input: DeliverEventInput): Promise<DeliverEventResult> {
  const { envelope } = input;
  const deliveries = await Promise.all(
    input.targets.map(async (target) => {
      const deliveryId = target.deliveryId ?? uuid4();
      const { subscriptionKey } = target;
      try {
        await deliver(target, { deliveryId, subscriptionKey, envelope });
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
