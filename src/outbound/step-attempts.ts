/**
 * Which attempt settled a step. Workflow code never learns an activity's attempt number (its
 * resolution carries none), so an activity interceptor notes each attempt as it starts, and the
 * outbox writer adds it to `step.*` events. Process-local and bounded: when the activity ran
 * in another worker process the attempt is `null`.
 */
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { NotificationEnvelope } from '../workflows/notification-definitions';

const MAX_ENTRIES = 10_000;
const attempts = new Map<string, number>();

function keyOf(workflowId: string, runId: string, activityId: string): string {
  return `${workflowId}\u0000${runId}\u0000${activityId}`;
}

/** Notes every attempt's number as it starts. */
export const recordStepAttempts: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    execute(input, next) {
      const { workflowExecution, activityId, attempt, isLocal } = ctx.info;
      if (workflowExecution && !isLocal) {
        if (attempts.size >= MAX_ENTRIES) attempts.delete(attempts.keys().next().value!);
        attempts.set(keyOf(workflowExecution.workflowId, workflowExecution.runId, activityId), attempt);
      }
      return next(input);
    },
  },
});

/** The attempt that settled the step, once (the entry is dropped), or null when unknown here. */
export function takeStepAttempt(workflowId: string, runId: string, activityId: string): number | null {
  const key = keyOf(workflowId, runId, activityId);
  const attempt = attempts.get(key);
  attempts.delete(key);
  return attempt ?? null;
}

/** A `step.*` envelope with the attempt that settled the step; other events unchanged. */
export function withStepAttempt(envelope: NotificationEnvelope): NotificationEnvelope {
  const activityId = envelope.data.activityId;
  if (!envelope.type.startsWith('step.') || !envelope.workflow || typeof activityId !== 'string') return envelope;
  return {
    ...envelope,
    data: { ...envelope.data, attempt: takeStepAttempt(envelope.workflow.id, envelope.workflow.runId, activityId) },
  };
}
