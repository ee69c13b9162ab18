/**
 * The closes workflow code never sees: a terminated run and a run that hit its execution or
 * run timeout get no chance to emit anything. The observer asks Temporal's visibility, every
 * `intervalMs` (default 10 s), for runs of this worker's task queue that closed that way, and
 * records `workflow.terminated` / `workflow.timed_out` for them through the outbox like any
 * event, id `evt_<runId>_terminated` (`_timed_out`): a run closes once, so the id never
 * collides, and every worker on the queue may see the same close (the outbox stores it once).
 * Costs nothing while there is no subscription.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { Logger } from '../logger';
import {
  DELIVER_EVENT_WORKFLOW,
  NotificationEventType,
  RUN_SUBSCRIPTIONS_MEMO_KEY,
  type DispatchEventInput,
  type NotificationEnvelope,
} from '../workflows/notification-definitions';

const CLOSES = {
  TERMINATED: { type: NotificationEventType.workflowTerminated, suffix: 'terminated', query: 'Terminated' },
  TIMED_OUT: { type: NotificationEventType.workflowTimedOut, suffix: 'timed_out', query: 'TimedOut' },
} as const;

export interface CloseObserver {
  stop(): Promise<void>;
}

/** The envelope of a close observed from outside the run, or undefined for other statuses. */
export function closeEnvelope(execution: WorkflowExecutionInfo, namespace: string): NotificationEnvelope | undefined {
  const close = CLOSES[execution.status.name as keyof typeof CLOSES];
  if (!close) return undefined;
  return {
    id: `evt_${execution.runId}_${close.suffix}`,
    type: close.type,
    timestamp: (execution.closeTime ?? new Date()).toISOString(),
    workflow: {
      namespace,
      id: execution.workflowId,
      runId: execution.runId,
      type: execution.type,
      taskQueue: execution.taskQueue,
      attempt: null,
    },
    data: {},
  };
}

export function startCloseObserver(options: {
  client: Pick<Client, 'workflow'>;
  namespace: string;
  taskQueue: string;
  record: (input: DispatchEventInput) => Promise<unknown>;
  /** False skips the visibility query (no subscription: nothing to deliver). */
  wanted: () => Promise<boolean>;
  intervalMs?: number;
  /** How far back the first look goes (default 10 min: closes while no worker ran). */
  lookbackMs?: number;
  logger?: Logger;
}): CloseObserver {
  const intervalMs = options.intervalMs ?? 10_000;
  let since = new Date(Date.now() - (options.lookbackMs ?? 600_000));
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const look = async () => {
    if (!(await options.wanted())) return;
    const askedAt = Date.now();
    const statuses = Object.values(CLOSES)
      .map((c) => `ExecutionStatus = "${c.query}"`)
      .join(' OR ');
    const query = `TaskQueue = "${options.taskQueue}" AND (${statuses}) AND CloseTime >= "${since.toISOString()}"`;
    for await (const execution of options.client.workflow.list({ query })) {
      if (execution.type === DELIVER_EVENT_WORKFLOW) continue;
      const envelope = closeEnvelope(execution, options.namespace);
      if (!envelope) continue;
      const memo = execution.memo?.[RUN_SUBSCRIPTIONS_MEMO_KEY];
      const runSubscriptions = Array.isArray(memo) ? memo.filter((v): v is string => typeof v === 'string') : [];
      await options.record({ envelope, runSubscriptions });
    }
    // Visibility lags a little behind the close: look back over the last minute again.
    since = new Date(askedAt - 60_000);
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = look()
        .catch((err: unknown) =>
          options.logger?.warn('could not look for terminated or timed-out runs', { error: (err as Error).message }),
        )
        .finally(schedule);
    }, intervalMs);
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
