/**
 * Starts the run a webhook's template asks for, and says plainly what happened: started,
 * already started (the idempotent workflow id did its job), Temporal unavailable (answer 503
 * so the provider retries), or rejected (a configuration problem the user must fix).
 */
import { isGrpcServiceError, WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';

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
  | { kind: 'unavailable'; detail: string }
  | { kind: 'rejected'; detail: string };

/** gRPC codes that mean "this request can never succeed as configured". */
export const PERMANENT_GRPC_CODES = new Set([
  3 /* INVALID_ARGUMENT */, 5 /* NOT_FOUND */, 7 /* PERMISSION_DENIED */, 9 /* FAILED_PRECONDITION */,
  11 /* OUT_OF_RANGE */, 12 /* UNIMPLEMENTED */, 16 /* UNAUTHENTICATED */,
]);

export function grpcCode(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(e)) return e.code;
  }
  return undefined;
}

export function describeTemporalError(err: unknown): string {
  // The SDK wraps the server's answer ("Failed to start Workflow"); the cause says why.
  const messages: string[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    messages.push(
      e instanceof Error
        ? (e as { details?: string }).details || e.message
        : typeof e === 'string'
          ? e
          : 'unknown error',
    );
  }
  const message = [...new Set(messages)].join(': ');
  return message.length > 500 ? `${message.slice(0, 500)}…` : message;
}

export async function startWebhookWorkflow(
  client: Client,
  request: WorkflowStartRequest,
  timeoutMs: number,
): Promise<WorkflowStartOutcome> {
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
    return { kind: 'unavailable', detail: describeTemporalError(err) };
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
