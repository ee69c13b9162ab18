/**
 * Reading Temporal client errors: whether a gRPC failure is permanent, and a short message for
 * it. Shared by the ingress (starting runs) and the waits (signalling them).
 */
import { isGrpcServiceError } from '@temporalio/client';

/** gRPC codes that mean "this request can never succeed as configured". */
export const PERMANENT_GRPC_CODES = new Set([
  3 /* INVALID_ARGUMENT */, 5 /* NOT_FOUND */, 7 /* PERMISSION_DENIED */, 9 /* FAILED_PRECONDITION */,
  11 /* OUT_OF_RANGE */, 12 /* UNIMPLEMENTED */, 16 /* UNAUTHENTICATED */,
]);

/** The gRPC status code of a Temporal client error, looked up through its causes. */
export function grpcCode(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(e)) return e.code;
  }
  return undefined;
}

/** A Temporal client error as one short line: the messages of its causes, without repeats. */
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
