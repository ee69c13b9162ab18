/**
 * Keeps the waits table honest, in bounded steps (the ingress runs it periodically): purges
 * expired payloads and old resolved waits, finishes the claims of an ingress that died between
 * claim and signal (signals the claimed delivery from the payload log), and marks stale the waits
 * whose run is closed (terminated, timed out, reset, continued as new) — found by describing at
 * most `checkLimit` of the waits looked at longest ago, so no run is signaled twice and the admin
 * API shows only live waits.
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Logger } from '../logger';
import type { ExpiredClaim } from '../store/types';
import type { Store } from '../store/types';
import { grpcCode } from '../temporal/errors';
import { signalClaimedWaits } from './signal-waits';

export interface SweepWaitsOptions {
  store: Store;
  client: Client;
  logger: Logger;
  now?: Date;
  /** Runs described per sweep (default 100). */
  checkLimit?: number;
  /** Expired claims finished per sweep (default 1000). */
  claimLimit?: number;
  /** A wait is described again once this long has passed since its last look (default 5 min). */
  recheckAfterMs?: number;
  /** Deadline of each signal (default 5 s). */
  temporalTimeoutMs?: number;
}

export interface SweepWaitsResult {
  payloads: number;
  waits: number;
  /** Claims of a dead ingress whose delivery was signaled from the payload log. */
  resignaled: number;
  /** Claims of a dead ingress whose payload is no longer stored: open again. */
  reopened: number;
  expired: number;
  closedRuns: number;
}

/** Signals the claims of an ingress that died, per delivery; reopens those whose payload is gone. */
async function finishExpiredClaims(
  options: SweepWaitsOptions,
  now: Date,
): Promise<{ resignaled: number; reopened: number }> {
  const { store, client, logger } = options;
  const claims = await store.waits.takeExpiredClaims(client.options.namespace, now, options.claimLimit ?? 1000);
  const byDelivery = new Map<string, ExpiredClaim[]>();
  for (const claim of claims) {
    const group = byDelivery.get(claim.deliveryId);
    if (group) group.push(claim);
    else byDelivery.set(claim.deliveryId, [claim]);
  }
  let resignaled = 0;
  let reopened = 0;
  for (const [deliveryId, group] of byDelivery) {
    const delivery = group[0]!.delivery;
    const waitIds = group.map((claim) => claim.id);
    if (!delivery) {
      logger.warn(
        'reopened waits claimed by an ingress that died: the payload of the delivery it was signaling is no longer stored (past spec.signal.payloadRetention)',
        { deliveryId, waitIds },
      );
      await store.waits.reopen(deliveryId, waitIds);
      reopened += group.length;
      continue;
    }
    const results = await signalClaimedWaits({
      store,
      client,
      logger,
      temporalTimeoutMs: options.temporalTimeoutMs ?? 5000,
      delivery,
      claimed: group,
      unavailable: 'keep',
    });
    resignaled += results.signaled.length;
    if (results.signaled.length > 0)
      logger.info('signaled waits claimed by an ingress that died, from the stored payload', {
        deliveryId,
        waitIds: results.signaled.map((w) => w.id),
      });
    if (results.unavailable.length > 0)
      logger.warn(
        'Temporal unavailable while signaling waits claimed by an ingress that died; the next sweep tries again',
        { deliveryId, error: results.lastError },
      );
  }
  return { resignaled, reopened };
}

export async function sweepWaits(options: SweepWaitsOptions): Promise<SweepWaitsResult> {
  const { store, client } = options;
  const now = options.now ?? new Date();
  const purged = await store.waits.purge(now);
  const finished = await finishExpiredClaims(options, now);
  const live = await store.waits.liveNotCheckedSince(
    client.options.namespace,
    new Date(now.getTime() - (options.recheckAfterMs ?? 5 * 60_000)),
    options.checkLimit ?? 100,
  );
  const closed: string[] = [];
  const running: string[] = [];
  for (const wait of live) {
    try {
      const description = await client.workflow.getHandle(wait.workflowId, wait.runId).describe();
      (description.status.name === 'RUNNING' ? running : closed).push(wait.id);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError || grpcCode(err) === 5) closed.push(wait.id);
      else
        options.logger.debug('could not describe a waiting run', {
          workflowId: wait.workflowId,
          error: (err as Error).message,
        });
    }
  }
  await store.waits.markStale(null, closed, 'the run is closed');
  await store.waits.touch(running, now);
  return { ...purged, ...finished, closedRuns: closed.length };
}
