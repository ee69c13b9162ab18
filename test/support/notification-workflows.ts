/**
 * Workflows the notification tests run (bundled with the rest of test/support/workflows.ts).
 * Workflow code: sandboxed.
 */
import { ApplicationFailure, proxyActivities, sleep } from '@temporalio/workflow';
import { emitEvent } from '../../src/workflows/notifications';
import type { NotificationTestActivities } from './notification-activities';

const { recordStep, failStep } = proxyActivities<NotificationTestActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 2, initialInterval: '50 milliseconds' },
});

/** Three activities, then a result: the shape the bench and most tests use. */
export async function threeSteps(input: { name: string }): Promise<{ greeting: string; steps: number }> {
  for (let i = 1; i <= 3; i++) await recordStep({ step: i });
  return { greeting: `hello ${input.name}`, steps: 3 };
}

/** One step, then a custom event, then done. */
export async function emitsCustomEvent(input: { orderId: string }): Promise<void> {
  await recordStep({ step: 1 });
  emitEvent('order.shipped', { orderId: input.orderId });
}

/** A step that fails for good, so the run fails. */
export async function failsInStep(): Promise<void> {
  await failStep({ reason: 'card declined' });
}

/** Fails without an activity. */
export async function failsDirectly(): Promise<void> {
  throw ApplicationFailure.nonRetryable('no such order', 'OrderMissing');
}

/** Waits until cancelled. */
export async function waitsForCancel(): Promise<void> {
  await sleep('1 hour');
}
