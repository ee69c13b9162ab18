/**
 * Hands an event to its delivery workflow (`tempohookDeliverEvent`), whose id is derived from the
 * event id. Used by the dispatch activity and by the API's redeliver route.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { DELIVER_EVENT_WORKFLOW, type DeliverEventInput } from '../workflows/notification-definitions';

/** The workflow id of an event's delivery workflow. */
export function deliverEventWorkflowId(eventId: string): string {
  return `tempohook-notify/${eventId}`;
}

/** Starts the delivery workflow for an event; an existing one (a retried hand-off) is fine. */
export async function startDeliverEvent(
  client: Client,
  taskQueue: string,
  workflowId: string,
  input: DeliverEventInput,
): Promise<void> {
  try {
    await client.workflow.start(DELIVER_EVENT_WORKFLOW, {
      workflowId,
      taskQueue,
      args: [input],
      staticSummary: `deliver ${input.envelope.type} to ${input.targets.map((t) => t.subscriptionKey).join(', ')}`,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
