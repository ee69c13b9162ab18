/**
 * Workflow interceptors that `TempohookPlugin` bundles into every workflow (passed to the
 * bundler as this module's path). Workflow-safe. Runs started by the ingress carry a
 * `tempohook` memo; its webhook, event id and delivery id are added to every workflow log line,
 * so a log search by event id finds the run's own logs.
 */
import { workflowInfo, type WorkflowInterceptors } from '@temporalio/workflow';
import { TEMPOHOOK_MEMO_KEY, type TempohookRunMemo } from './definitions';

function runMemo(): TempohookRunMemo | undefined {
  const memo = workflowInfo().memo?.[TEMPOHOOK_MEMO_KEY];
  return memo && typeof memo === 'object' ? (memo as TempohookRunMemo) : undefined;
}

export const interceptors = (): WorkflowInterceptors => ({
  outbound: [
    {
      getLogAttributes(input, next) {
        const memo = runMemo();
        if (!memo) return next(input);
        return next({ ...input, tempohookWebhook: memo.webhook, tempohookEventId: memo.eventId, tempohookDeliveryId: memo.deliveryId });
      },
    },
  ],
});
