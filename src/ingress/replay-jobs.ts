/**
 * Bulk replay in the background: every ingress replica runs a runner that claims one replay job
 * at a time (SKIP LOCKED, then a lease renewed while it works), settles the items a dead
 * ingress left claimed, and replays the rest one by one at the job's rate through the same
 * replayer as `POST /v1/deliveries/{id}/replay`. A job survives an ingress restart: its lease
 * lapses and another replica (or the restarted one) takes it over where it stopped, each source
 * delivery replayed at most once (see replay-jobs-repository.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Logger } from '../logger';
import { settleDelivery } from './settle-deliveries';
import type { ReplayItemResult, ReplayJobRecord, Store } from '../store/types';
import type { DeliveryReplayer, ReplayResult } from './delivery';

/** A job's lease: a replica that stops renewing it (killed) loses the job this long after. */
export const REPLAY_LEASE_MS = 15_000;

/** How often an idle runner looks for a job. */
export const REPLAY_POLL_MS = 1_000;

/** Default replays per second of a job (TEMPOHOOK_REPLAY_RATE). */
export const DEFAULT_REPLAY_RATE = 10;

/** Most deliveries one job replays (narrow the search for more). */
export const MAX_REPLAY_ITEMS = 100_000;

/** How long an item waits after Temporal or the store was unavailable before it is tried again. */
const UNAVAILABLE_BACKOFF_MS = 5_000;

export interface ReplayJobRunnerOptions {
  store: Store;
  replayer: DeliveryReplayer;
  logger: Logger;
  /** To settle a replay a dead ingress left pending (did its start reach Temporal?). */
  client: Client;
  temporalTimeoutMs: number;
  /** This replica's name on the leases it holds (default a random id). */
  owner?: string;
  leaseMs?: number;
  pollMs?: number;
}

export interface ReplayJobRunner {
  /** Looks for a job now instead of at the next poll. */
  wake(): void;
  /** Stops claiming; resolves once the item in hand is finished (the lease then lapses for another replica). */
  stop(): Promise<void>;
}

/** How one replay counts in its job. */
export function itemResult(result: ReplayResult): ReplayItemResult | 'retry' {
  if (result.kind === 'not_replayable')
    return { state: 'failed', replayDeliveryId: null, outcome: result.code, error: result.message };
  const { verdict, deliveryId } = result;
  const replayDeliveryId = deliveryId ?? null;
  switch (verdict.kind) {
    case 'accepted':
      return {
        state: 'succeeded',
        replayDeliveryId,
        outcome: verdict.completion.outcome,
        error: verdict.answer.failed?.map((f) => `route ${f.route}: ${f.reason}`).join('; ') || null,
      };
    case 'ignored':
      return { state: 'succeeded', replayDeliveryId, outcome: 'ignored', error: verdict.reason };
    case 'unavailable':
      return 'retry';
    case 'refused':
      return { state: 'failed', replayDeliveryId, outcome: verdict.code, error: verdict.reason };
    case 'start_refused':
      return { state: 'failed', replayDeliveryId, outcome: verdict.code, error: verdict.detail };
    default:
      return { state: 'failed', replayDeliveryId, outcome: 'webhook_invalid', error: 'the webhook cannot take it' };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Outcomes of a replay delivery that count as replayed. */
const REPLAYED_OUTCOMES = new Set(['started', 'duplicate', 'signaled', 'ignored']);

/**
 * The items another ingress left claimed when it died. An item whose replay never reserved is
 * claimable again; one whose replay was recorded is finished as recorded; one whose replay was
 * left pending (killed mid-start) is settled from Temporal first: a run that exists finishes it,
 * no run makes it claimable again (its released row stays in the log as failed), no answer
 * leaves it claimed for the next takeover. Returns how many were looked at.
 */
async function recoverStaleClaims(options: ReplayJobRunnerOptions, jobId: string, owner: string): Promise<number> {
  const { store } = options;
  const stale = await store.replayJobs.staleClaims(jobId, owner);
  for (const { deliveryId, replay } of stale) {
    if (!replay) {
      await store.replayJobs.resetItem(jobId, deliveryId);
      continue;
    }
    let outcome: string = replay.outcome;
    let reason = replay.reason;
    if (outcome === 'pending') {
      const settled = await settleDelivery(options, replay);
      if (settled === undefined) continue;
      if (settled === 'released') {
        await store.replayJobs.resetItem(jobId, deliveryId);
        continue;
      }
      outcome = settled === 'started' ? 'started' : ((await store.deliveries.get(replay.id))?.outcome ?? 'pending');
      reason = null;
    }
    const replayed = REPLAYED_OUTCOMES.has(outcome);
    await store.replayJobs.finishItem(jobId, deliveryId, null, {
      state: replayed ? 'succeeded' : 'failed',
      replayDeliveryId: replay.id,
      outcome,
      error: replayed ? null : reason,
    });
  }
  return stale.length;
}

/** Starts this replica's runner; `stop()` on shutdown. */
export function startReplayJobRunner(options: ReplayJobRunnerOptions): ReplayJobRunner {
  const { store, replayer, logger } = options;
  const owner = options.owner ?? `ingress-${randomUUID()}`;
  const leaseMs = options.leaseMs ?? REPLAY_LEASE_MS;
  let stopped = false;
  let active: Promise<void> | undefined;

  async function run(job: ReplayJobRecord): Promise<void> {
    const recovered = await recoverStaleClaims(options, job.id, owner);
    logger.info('replay job running', {
      jobId: job.id,
      webhook: `${job.namespace}/${job.webhookName}`,
      total: job.total,
      done: job.done,
      ...(recovered > 0 ? { recovered } : {}),
    });
    const spacingMs = 1000 / job.ratePerSecond;
    let renewedAt = Date.now();
    while (!stopped) {
      if (Date.now() - renewedAt > leaseMs / 3) {
        // Cancelled, or another replica took the job (this one stalled past its lease): stop here.
        if (!(await store.replayJobs.renew(job.id, owner, new Date(), leaseMs))) {
          logger.info('replay job left', { jobId: job.id, reason: 'cancelled or taken over' });
          return;
        }
        renewedAt = Date.now();
      }
      const [source] = await store.replayJobs.claimItems(job.id, owner, 1);
      if (!source) {
        if (await store.replayJobs.complete(job.id, owner, new Date()))
          logger.info('replay job completed', { jobId: job.id });
        return;
      }
      const began = Date.now();
      const result = itemResult(await replayer(job.namespace, source, { newEventId: job.newEventId, jobId: job.id }));
      if (result === 'retry') {
        await store.replayJobs.releaseItem(job.id, source, owner);
        await sleep(UNAVAILABLE_BACKOFF_MS);
        continue;
      }
      await store.replayJobs.finishItem(job.id, source, owner, result);
      await sleep(Math.max(0, spacingMs - (Date.now() - began)));
    }
  }

  async function tick(): Promise<void> {
    if (stopped || active) return;
    const job = await store.replayJobs.claim({ owner, now: new Date(), leaseMs });
    if (!job) return;
    active = run(job)
      .catch((err: unknown) =>
        // The lease lapses and the job is taken again (by this replica or another) after it.
        logger.warn('replay job interrupted', { jobId: job.id, error: (err as Error)?.message }),
      )
      .finally(() => {
        active = undefined;
        if (!stopped) void tick().catch(() => undefined);
      });
  }

  const poll = () =>
    void tick().catch((err: unknown) => logger.warn('replay job claim failed', { error: (err as Error)?.message }));
  const timer = setInterval(poll, options.pollMs ?? REPLAY_POLL_MS);
  timer.unref();
  return {
    wake: poll,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await active;
    },
  };
}
