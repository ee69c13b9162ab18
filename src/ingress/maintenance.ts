/**
 * The ingress's periodic upkeep: expired dedup keys and rate-limit windows purged, waits whose
 * claim or run went away swept, pending deliveries left by a dead ingress settled from Temporal,
 * and history past its retention deleted. Every ingress process runs it (the work is idempotent;
 * claims and purges skip rows another replica has locked).
 */
import type { Client } from '@temporalio/client';
import type { Logger } from '../logger';
import type { Store } from '../store/types';
import { sweepWaits } from '../waits/sweeper';
import { purgeRetained, type RetentionDefaults } from './retention';
import { settlePendingDeliveries } from './settle-deliveries';
import type { DeliveryReplayer } from './delivery';
import { startReplayJobRunner, type ReplayJobRunner } from './replay-jobs';

/** Expired dedup keys, rate-limit windows and history past its retention are purged this often. */
export const MAINTENANCE_INTERVAL_MS = 10 * 60 * 1000;

/** Pending deliveries older than a minute are settled this often, so a repeat is answered from its reservation within two minutes. */
export const SETTLE_INTERVAL_MS = 60 * 1000;

/** The bulk replay runner's wiring for the periodic job of the app `createApp` built. */
export function replayRunnerOf(app: { locals: Record<string, unknown> }): {
  replayer?: DeliveryReplayer;
  onReplayRunner: (runner: ReplayJobRunner) => void;
} {
  const replayer = app.locals.replayDelivery as DeliveryReplayer | undefined;
  return {
    ...(replayer ? { replayer } : {}),
    onReplayRunner: (runner) => {
      app.locals.wakeReplayRunner = () => runner.wake();
    },
  };
}

/** Starts the upkeep timer (unref'd, so it never keeps a process alive); returns its stop function. */
export function startIngressMaintenance(input: {
  store: Store;
  client: Client;
  logger: Logger;
  temporalTimeoutMs: number;
  /** Retention defaults (TEMPOHOOK_DELIVERY_RETENTION, TEMPOHOOK_NOTIFICATION_RETENTION); 30 days each. */
  retention?: Partial<RetentionDefaults>;
  /** Given, this replica also runs bulk replay jobs through it (the app's `locals.replayDelivery`). */
  replayer?: DeliveryReplayer;
  /** Told when this replica's replay runner should look for a job at once. */
  onReplayRunner?: (runner: ReplayJobRunner) => void;
}): () => void {
  const { store, logger } = input;
  const runner = input.replayer
    ? startReplayJobRunner({
        store,
        replayer: input.replayer,
        logger: logger.child({ component: 'replay' }),
        client: input.client,
        temporalTimeoutMs: input.temporalTimeoutMs,
      })
    : undefined;
  if (runner) input.onReplayRunner?.(runner);
  const timer = setInterval(() => {
    store.deliveries.purgeExpired(new Date()).then(
      (count) => count > 0 && logger.debug('purged expired dedup keys', { count }),
      (err: unknown) => logger.warn('dedup purge failed', { error: (err as Error).message }),
    );
    store.rateLimits
      .purgeExpired()
      .catch((err: unknown) => logger.warn('rate-limit purge failed', { error: (err as Error).message }));
    purgeRetained({ store, logger, ...(input.retention ? { retention: input.retention } : {}) }).catch((err: unknown) =>
      logger.warn('retention purge failed', { error: (err as Error).message }),
    );
    sweepWaits({ store, client: input.client, logger, temporalTimeoutMs: input.temporalTimeoutMs }).then(
      (swept) => logger.debug('swept waits', { ...swept }),
      (err: unknown) => logger.warn('wait sweep failed', { error: (err as Error).message }),
    );
  }, MAINTENANCE_INTERVAL_MS);
  timer.unref();
  const settler = setInterval(() => {
    settlePendingDeliveries({ store, client: input.client, logger, temporalTimeoutMs: input.temporalTimeoutMs }).catch(
      (err: unknown) => logger.warn('settling pending deliveries failed', { error: (err as Error).message }),
    );
  }, SETTLE_INTERVAL_MS);
  settler.unref();
  return () => {
    clearInterval(timer);
    clearInterval(settler);
    // The item in hand finishes; the job's lease lapses for another replica (or this one, restarted).
    void runner?.stop();
  };
}
