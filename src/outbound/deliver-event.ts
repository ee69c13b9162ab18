/**
 * Starting `tempohookDeliverEvent`, the workflow that retries a delivery under its
 * subscription's policy: by the worker's dispatcher after a first attempt to retry, and by the
 * API's redeliver route. Its id is derived from the event id (and the subscription), so a
 * repeated hand-off starts nothing new.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { DELIVER_EVENT_WORKFLOW, type DeliverEventInput } from '../workflows/notification-definitions';

/** The workflow id of an event's delivery workflow (`/<subscription>` once per subscription). */
export function deliverEventWorkflowId(eventId: string, subscriptionKey?: string): string {
  return subscriptionKey ? `tempohook-notify/${eventId}/${subscriptionKey}` : `tempohook-notify/${eventId}`;
}

/** Starts the delivery workflow for an event; an existing one (a retried hand-off) is fine. */
export async function startDeliverEvent(
  client: Pick<Client, 'workflow'>,
  taskQueue: string,
  workflowId: string,
  input: DeliverEventInput,
  /** Milliseconds before its first workflow task (the dispatcher's hand-off: the wait before the first retry). */
  startDelayMs?: number,
): Promise<void> {
  try {
    await client.workflow.start(DELIVER_EVENT_WORKFLOW, {
      workflowId,
      taskQueue,
      ...(startDelayMs !== undefined ? { startDelay: startDelayMs } : {}),
      args: [input],
      staticSummary: `deliver ${input.envelope.type} to ${input.targets.map((t) => t.subscriptionKey).join(', ')}`,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
