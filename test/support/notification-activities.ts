/** Activities of the notification test workflows. */
import { ApplicationFailure } from '@temporalio/activity';

export function createNotificationTestActivities() {
  return {
    async recordStep(input: { step: number }): Promise<number> {
      return input.step;
    },
    async failStep(input: { reason: string }): Promise<never> {
      throw ApplicationFailure.nonRetryable(input.reason, 'PaymentDeclined');
    },
  };
}

export type NotificationTestActivities = ReturnType<typeof createNotificationTestActivities>;
