/**
 * Lifecycle events from interceptors, bundled into every workflow by `TempohookPlugin`:
 * `workflow.*` from `execute`, `step.*` once per activity (after its retries) from the
 * outbound `scheduleActivity`. Events go to a worker sink and add no command, so histories are
 * the same with and without the plugin. Only a replay asks `patched()` (which then records
 * nothing new): a run recorded with the first design carries its marker and keeps that path.
 * Workflow-safe.
 */
import {
  ApplicationFailure,
  ContinueAsNew,
  isCancellation,
  patched,
  TemporalFailure,
  workflowInfo,
  type ActivityInput,
  type Next,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptors,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { DELIVER_EVENT_WORKFLOW, NOTIFICATIONS_PATCH_ID, NotificationEventType } from './notification-definitions';
import { flushEvents, queueEvent, runEmitter } from './notifications';

/** Results larger than this (as JSON) are summarized instead of sent whole. */
const MAX_RESULT_CHARS = 2048;

/** The result as it goes into `workflow.completed`: whole when small, else its size and a preview. */
export function summarizeResult(result: unknown): unknown {
  if (result === undefined) return null;
  let text: string | undefined;
  try {
    text = JSON.stringify(result);
  } catch {
    return { unserializable: true };
  }
  if (text === undefined) return null;
  if (text.length <= MAX_RESULT_CHARS) return result;
  return { truncated: true, chars: text.length, preview: text.slice(0, 512) };
}

/** `{type, message}` of a failure, with its cause's when it has one (an activity's own error). */
export function describeFailure(err: unknown): {
  type: string;
  message: string;
  cause?: { type: string; message: string };
} {
  const one = (e: unknown) => ({
    type: (e instanceof ApplicationFailure ? e.type : undefined) ?? (e as Error)?.name ?? 'Error',
    message: String((e as Error)?.message ?? e),
  });
  const cause = (err as Error)?.cause;
  return { ...one(err), ...(cause ? { cause: one(cause) } : {}) };
}

class NotificationInbound implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const emitter = runEmitter();
    const info = workflowInfo();
    // Never notify about our own delivery workflows (each would start another).
    if (info.workflowType === DELIVER_EVENT_WORKFLOW) return next(input);
    // patched() outside replay would add a marker; during replay it only reports whether the
    // history has one (a run of the first design) and records nothing when it has not.
    emitter.legacy = info.unsafe.isReplaying && patched(NOTIFICATIONS_PATCH_ID);
    emitter.enabled = true;

    queueEvent(NotificationEventType.workflowStarted, {});
    let result: unknown;
    try {
      result = await next(input);
    } catch (err) {
      if (err instanceof ContinueAsNew)
        queueEvent(NotificationEventType.workflowContinuedAsNew, {
          workflowType: err.command.workflowType ?? workflowInfo().workflowType,
        });
      else if (isCancellation(err)) queueEvent(NotificationEventType.workflowCancelled, {});
      // Anything else fails the workflow *task* (retried), not the workflow: nothing to report.
      else if (err instanceof TemporalFailure)
        queueEvent(NotificationEventType.workflowFailed, { error: describeFailure(err) });
      await flushEvents();
      throw err;
    }
    queueEvent(NotificationEventType.workflowCompleted, { result: summarizeResult(result) });
    // The close command is produced only after this returns: every hand-off is in history first.
    await flushEvents();
    return result;
  }
}

class NotificationOutbound implements WorkflowOutboundCallsInterceptor {
  async scheduleActivity(
    input: ActivityInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>,
  ): Promise<unknown> {
    if (!runEmitter().enabled || input.activityType.startsWith('tempohook')) return next(input);
    const started = Date.now();
    const step = { activityType: input.activityType, activityId: input.options.activityId ?? String(input.seq) };
    try {
      const result = await next(input);
      queueEvent(NotificationEventType.stepCompleted, { ...step, durationMs: Date.now() - started });
      return result;
    } catch (err) {
      // A cancelled step is part of the run's cancellation, reported as workflow.cancelled.
      if (!isCancellation(err)) {
        queueEvent(NotificationEventType.stepFailed, {
          ...step,
          durationMs: Date.now() - started,
          error: describeFailure(err),
        });
      }
      throw err;
    }
  }
}

export const interceptors = (): WorkflowInterceptors => ({
  inbound: [new NotificationInbound()],
  outbound: [new NotificationOutbound()],
});
