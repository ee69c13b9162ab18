/**
 * The ingress's periodic upkeep: expired dedup keys and rate-limit windows purged, and waits
 * whose claim or run went away swept. Every ingress process runs it (the work is idempotent).
 */
import type { Client } from '@temporalio/client';
import type { Logger } from '../logger';
import type { Store } from '../store/types';
import { sweepWaits } from '../waits/sweeper';

/** Expired dedup keys and rate-limit windows are purged this often; history rows stay. */
export const MAINTENANCE_INTERVAL_MS = 10 * 60 * 1000;

/** Starts the upkeep timer (unref'd, so it never keeps a process alive); returns its stop function. */
export function startIngressMaintenance(input: {
  store: Store;
  client: Client;
  logger: Logger;
  temporalTimeoutMs: number;
}): () => void {
  const { store, logger } = input;
  const timer = setInterval(() => {
    store.deliveries.purgeExpired(new Date()).then(
      (count) => count > 0 && logger.debug('purged expired dedup keys', { count }),
      (err: unknown) => logger.warn('dedup purge failed', { error: (err as Error).message }),
    );
    store.rateLimits
      .purgeExpired()
      .catch((err: unknown) => logger.warn('rate-limit purge failed', { error: (err as Error).message }));
    sweepWaits({ store, client: input.client, logger, temporalTimeoutMs: input.temporalTimeoutMs }).then(
      (swept) => logger.debug('swept waits', { ...swept }),
      (err: unknown) => logger.warn('wait sweep failed', { error: (err as Error).message }),
    );
  }, MAINTENANCE_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
