/**
 * Starts the run a webhook's template asks for, and says plainly what happened: started,
 * already started (the idempotent workflow id did its job), Temporal unavailable (answer 503
 * so the provider retries), or rejected (a configuration problem the user must fix).
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { describeTemporalError, grpcCode, PERMANENT_GRPC_CODES } from '../temporal/errors';

export interface WorkflowStartRequest {
  workflowType: string;
  taskQueue: string;
  workflowId: string;
  input: unknown;
  memo?: Record<string, unknown>;
  searchAttributes: SearchAttributePair[];
  staticSummary: string;
  staticDetails: string;
  workflowExecutionTimeoutSeconds?: number;
}

export type WorkflowStartOutcome =
  | { kind: 'started'; workflowId: string; runId: string }
  | { kind: 'already_started'; workflowId: string; runId: string | null }
  | { kind: 'unavailable'; detail: string; waitedMs: number }
  | { kind: 'rejected'; detail: string };

export async function startWebhookWorkflow(
  client: Client,
  request: WorkflowStartRequest,
  timeoutMs: number,
): Promise<WorkflowStartOutcome> {
  const started = Date.now();
  try {
    const handle = await client.withDeadline(Date.now() + timeoutMs, () =>
      client.workflow.start(request.workflowType, {
        taskQueue: request.taskQueue,
        workflowId: request.workflowId,
        args: [request.input],
        memo: request.memo,
        typedSearchAttributes: request.searchAttributes,
        staticSummary: request.staticSummary,
        staticDetails: request.staticDetails,
        workflowIdConflictPolicy: 'FAIL',
        // A closed run with the same id is the same event delivered again, not a new one.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        ...(request.workflowExecutionTimeoutSeconds
          ? { workflowExecutionTimeout: request.workflowExecutionTimeoutSeconds * 1000 }
          : {}),
      }),
    );
    return { kind: 'started', workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return {
        kind: 'already_started',
        workflowId: request.workflowId,
        runId: await currentRunId(client, request.workflowId, timeoutMs),
      };
    }
    const code = grpcCode(err);
    if (code !== undefined && PERMANENT_GRPC_CODES.has(code))
      return { kind: 'rejected', detail: describeTemporalError(err) };
    // gRPC reports the deadline it was given, not the wait ("Deadline exceeded after 0.000s"): say how long it was.
    return { kind: 'unavailable', detail: describeTemporalError(err), waitedMs: Date.now() - started };
  }
}

async function currentRunId(client: Client, workflowId: string, timeoutMs: number): Promise<string | null> {
  try {
    const description = await client.withDeadline(Date.now() + timeoutMs, () =>
      client.workflow.getHandle(workflowId).describe(),
    );
    return description.runId;
  } catch {
    return null;
  }
}
