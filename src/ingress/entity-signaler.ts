/**
 * Signal-with-start for `signalWithStart` routes, with a deterministic request id. The TS client
 * sends a fresh request id per call; the server drops a SignalWithStart whose request id the
 * running execution has already recorded, so the same (webhook, event, route) sent twice — a
 * provider's retry, two ingress replicas racing — signals the entity once. Across continue-as-new
 * the workflow side (`onWebhook`) drops repeats by event id.
 */
import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { encodeWorkflowIdReusePolicy, type SearchAttributePair } from '@temporalio/common';
import { encodeUnifiedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes';
import { encodeMapToPayloads, encodeToPayloads } from '@temporalio/common/lib/internal-non-workflow';
import { msToTs } from '@temporalio/common/lib/time';
import { describeTemporalError, grpcCode, PERMANENT_GRPC_CODES } from '../temporal/errors';

export interface EntitySignalRequest {
  workflowType: string;
  taskQueue: string;
  workflowId: string;
  /** The run's input, used only when this call starts the entity. */
  input: unknown;
  signalName: string;
  signalInput: unknown;
  /** From `routeRequestId`: the same for every attempt of one event on one route. */
  requestId: string;
  memo?: Record<string, unknown>;
  searchAttributes?: SearchAttributePair[];
  workflowExecutionTimeoutSeconds?: number;
}

export type EntitySignalOutcome =
  | { kind: 'signaled'; workflowId: string; runId: string; started: boolean }
  | { kind: 'unavailable'; detail: string }
  | { kind: 'rejected'; detail: string };

/** A UUID-shaped id derived from (namespace/webhook, event id, route): deterministic, no separator ambiguity. */
export function routeRequestId(webhook: string, eventId: string, route: string): string {
  const hex = createHash('sha256')
    .update(JSON.stringify([webhook, eventId, route]))
    .digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export async function signalWithStartEntity(
  client: Client,
  request: EntitySignalRequest,
  timeoutMs: number,
): Promise<EntitySignalOutcome> {
  const converter = client.options.loadedDataConverter;
  try {
    const response = await client.withDeadline(Date.now() + timeoutMs, async () =>
      client.workflowService.signalWithStartWorkflowExecution({
        namespace: client.options.namespace,
        identity: client.options.identity,
        requestId: request.requestId,
        workflowId: request.workflowId,
        workflowType: { name: request.workflowType },
        taskQueue: { name: request.taskQueue },
        input: { payloads: await encodeToPayloads(converter, request.input) },
        signalName: request.signalName,
        signalInput: { payloads: await encodeToPayloads(converter, request.signalInput) },
        // A running entity is signaled; a closed one is started again (it is the same entity).
        workflowIdReusePolicy: encodeWorkflowIdReusePolicy('ALLOW_DUPLICATE'),
        ...(request.workflowExecutionTimeoutSeconds
          ? { workflowExecutionTimeout: msToTs(request.workflowExecutionTimeoutSeconds * 1000) }
          : {}),
        ...(request.memo ? { memo: { fields: await encodeMapToPayloads(converter, request.memo) } } : {}),
        ...(request.searchAttributes
          ? { searchAttributes: { indexedFields: encodeUnifiedSearchAttributes(undefined, request.searchAttributes) } }
          : {}),
      }),
    );
    return {
      kind: 'signaled',
      workflowId: request.workflowId,
      runId: response.runId ?? '',
      started: response.started ?? false,
    };
  } catch (err) {
    const code = grpcCode(err);
    if (code !== undefined && PERMANENT_GRPC_CODES.has(code))
      return { kind: 'rejected', detail: describeTemporalError(err) };
    return { kind: 'unavailable', detail: describeTemporalError(err) };
  }
}
