/**
 * Keeps the waits table honest, in bounded steps (the ingress runs it periodically): purges
 * expired payloads and old resolved waits, reopens claims of an ingress that died, and marks
 * stale the waits whose run is closed (terminated, timed out, reset, continued as new) — found by
 * describing at most `checkLimit` of the waits looked at longest ago, so no run is signaled twice
 * and the admin API shows only live waits.
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Logger } from '../logger';
import type { Store } from '../store/types';
import { grpcCode } from '../ingress/workflow-starter';

export interface SweepWaitsOptions {
  store: Store;
  client: Client;
  logger: Logger;
  now?: Date;
  /** Runs described per sweep (default 100). */
  checkLimit?: number;
  /** A wait is described again once this long has passed since its last look (default 5 min). */
  recheckAfterMs?: number;
}

export interface SweepWaitsResult {
  payloads: number;
  waits: number;
  reopened: number;
  expired: number;
  closedRuns: number;
}

export async function sweepWaits(options: SweepWaitsOptions): Promise<SweepWaitsResult> {
  const { store, client } = options;
  const now = options.now ?? new Date();
  const purged = await store.waits.purge(now);
  const live = await store.waits.liveNotCheckedSince(client.options.namespace, new Date(now.getTime() - (options.recheckAfterMs ?? 5 * 60_000)), options.checkLimit ?? 100);
  const closed: string[] = [];
  const running: string[] = [];
  for (const wait of live) {
    try {
      const description = await client.workflow.getHandle(wait.workflowId, wait.runId).describe();
      (description.status.name === 'RUNNING' ? running : closed).push(wait.id);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError || grpcCode(err) === 5) closed.push(wait.id);
      else options.logger.debug('could not describe a waiting run', { workflowId: wait.workflowId, error: (err as Error).message });
    }
  }
  await store.waits.markStale(null, closed, 'the run is closed');
  await store.waits.touch(running, now);
  return { ...purged, closedRuns: closed.length };
}
