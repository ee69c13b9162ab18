/** Builds and starts the ingress from parsed configuration; shared by `tempohook ingress` and `dev`. */
import type { Client } from '@temporalio/client';
import type { Env } from '../config/env';
import { createApp } from '../ingress/app';
import type { DeliveryTracing } from '../ingress/delivery';
import { listen, type RunningServer } from '../ingress/server';
import type { Logger } from '../logger';
import type { Store } from '../store/types';
import { replayRunnerOf, startIngressMaintenance } from '../ingress/maintenance';
import { processRegistry } from './metrics-server';

export async function startIngress(input: {
  env: Env;
  store: Store;
  client: Client;
  logger: Logger;
  adminToken: string;
  /** A span per delivery (startProcessTracing). */
  tracing?: DeliveryTracing;
  /** The Web UI of the dev server `dev` started, when TEMPOHOOK_TEMPORAL_UI_URL names none. */
  temporalUiUrl?: string;
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
    temporalCircuitThreshold: env.TEMPOHOOK_TEMPORAL_CIRCUIT_THRESHOLD,
    ...(env.TEMPOHOOK_PUBLIC_URL ? { publicUrl: env.TEMPOHOOK_PUBLIC_URL } : {}),
    ...(env.TEMPOHOOK_OUTBOUND_ALLOW ? { outboundAllow: env.TEMPOHOOK_OUTBOUND_ALLOW } : {}),
    ...((env.TEMPOHOOK_TEMPORAL_UI_URL ?? input.temporalUiUrl)
      ? { temporalUiUrl: env.TEMPOHOOK_TEMPORAL_UI_URL ?? input.temporalUiUrl }
      : {}),
    metrics: processRegistry(),
    payloadRetentionSeconds: env.TEMPOHOOK_PAYLOAD_RETENTION,
    replayRatePerSecond: env.TEMPOHOOK_REPLAY_RATE,
    ...(input.tracing ? { tracing: input.tracing } : {}),
  });
  const server = await listen(app, env.PORT, env.HOST, { keepAliveTimeoutMs: env.TEMPOHOOK_KEEP_ALIVE_TIMEOUT_MS });
  const stopMaintenance = startIngressMaintenance({
    store,
    client: input.client,
    logger,
    temporalTimeoutMs: env.TEMPOHOOK_TEMPORAL_TIMEOUT_MS,
    ...replayRunnerOf(app),
    retention: {
      deliveriesSeconds: env.TEMPOHOOK_DELIVERY_RETENTION,
      payloadsSeconds: env.TEMPOHOOK_PAYLOAD_RETENTION,
      notificationsSeconds: env.TEMPOHOOK_NOTIFICATION_RETENTION,
      auditSeconds: env.TEMPOHOOK_AUDIT_RETENTION,
    },
  });
  return {
    ...server,
    close: async () => {
      stopMaintenance();
      await server.close();
    },
  };
}
