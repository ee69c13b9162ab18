/** Builds and starts the ingress from parsed configuration; shared by `tempohook ingress` and `dev`. */
import type { Client } from '@temporalio/client';
import type { Env } from '../config/env';
import { createApp } from '../ingress/app';
import { listen, type RunningServer } from '../ingress/server';
import type { Logger } from '../logger';
import type { Store } from '../store/types';
import { sweepWaits } from '../waits/sweeper';

/** Expired dedup keys and rate-limit windows are purged this often; history rows stay. */
const PURGE_INTERVAL_MS = 10 * 60 * 1000;

export async function startIngress(input: {
  env: Env;
  store: Store;
  client: Client;
  logger: Logger;
  adminToken: string;
}): Promise<RunningServer> {
  const { env, store, logger } = input;
  const app = createApp({
    store,
    client: input.client,
    logger,
    adminToken: input.adminToken,
    maxBodyBytes: env.TEMPOHOOK_MAX_BODY_BYTES,
    maxJsonDepth: env.TEMPOHOOK_MAX_JSON_DEPTH,
    retryAfterSeconds: env.TEMPOHOOK_RETRY_AFTER_SECONDS,
    temporalTimeoutMs: env.TEMPOHOOK_TEMPORAL_TIMEOUT_MS,
    ...(env.TEMPOHOOK_PUBLIC_URL ? { publicUrl: env.TEMPOHOOK_PUBLIC_URL } : {}),
    ...(env.TEMPOHOOK_OUTBOUND_ALLOW ? { outboundAllow: env.TEMPOHOOK_OUTBOUND_ALLOW } : {}),
  });
  const server = await listen(app, env.PORT, env.HOST);
  const purge = setInterval(() => {
    store.deliveries.purgeExpired(new Date()).then(
      (count) => count > 0 && logger.debug('purged expired dedup keys', { count }),
      (err: unknown) => logger.warn('dedup purge failed', { error: (err as Error).message }),
    );
    store.rateLimits
      .purgeExpired()
      .catch((err: unknown) => logger.warn('rate-limit purge failed', { error: (err as Error).message }));
    sweepWaits({ store, client: input.client, logger, temporalTimeoutMs: env.TEMPOHOOK_TEMPORAL_TIMEOUT_MS }).then(
      (swept) => logger.debug('swept waits', { ...swept }),
      (err: unknown) => logger.warn('wait sweep failed', { error: (err as Error).message }),
    );
  }, PURGE_INTERVAL_MS);
  purge.unref();
  return {
    ...server,
    close: async () => {
      clearInterval(purge);
      await server.close();
    },
  };
}
