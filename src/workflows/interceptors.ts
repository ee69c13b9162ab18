/**
 * Workflow interceptors that `TempohookPlugin` bundles into every workflow (passed to the
 * bundler as this module's path). Workflow-safe. Runs started by the ingress carry a
 * `tempohook` memo; its webhook, event id and delivery id are added to every workflow log line,
 * so a log search by event id finds the run's own logs. Every run answers the `tempohook.waits`
 * query, and waits still open when the run closes (or continues as new) are removed.
 */
import {
  ContinueAsNew,
  isCancellation,
  TemporalFailure,
  workflowInfo,
  type WorkflowInterceptors,
} from '@temporalio/workflow';
import { TEMPOHOOK_MEMO_KEY, type TempohookRunMemo } from './definitions';
import { installWaitHandlers, removeOpenWaitsOnClose } from './wait-for-webhook';

function runMemo(): TempohookRunMemo | undefined {
  const memo = workflowInfo().memo?.[TEMPOHOOK_MEMO_KEY];
  return memo && typeof memo === 'object' ? (memo as TempohookRunMemo) : undefined;
}

export const interceptors = (): WorkflowInterceptors => ({
  inbound: [
    {
      async execute(input, next) {
        installWaitHandlers();
        let result: unknown;
        try {
          result = await next(input);
        } catch (err) {
          // Only a closing run cleans up: a plain Error fails the workflow task, which is retried.
          if (err instanceof TemporalFailure || err instanceof ContinueAsNew || isCancellation(err))
            await removeOpenWaitsOnClose();
          throw err;
        }
        await removeOpenWaitsOnClose();
        return result;
      },
    },
  ],
  outbound: [
    {
      getLogAttributes(input, next) {
        const memo = runMemo();
        if (!memo) return next(input);
        return next({
          ...input,
          tempohookWebhook: memo.webhook,
          tempohookEventId: memo.eventId,
          tempohookDeliveryId: memo.deliveryId,
        });
      },
    },
  ],
});
