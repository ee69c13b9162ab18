/**
 * The ingress Express app: public delivery endpoints, health probes, the management API (the
 * admin token or API tokens, see access-policy.ts) and, beside it, the web console (`/console/`).
 * Built by `createApp(deps)`; it never listens (see server.ts).
 */
import express from 'express';
import type { Client } from '@temporalio/client';
import type { Logger } from '../logger';
import type { Store } from '../store/types';
import { authenticateApi, authorizeApi } from './http/api-access';
import { jsonBody, jsonBodyErrors } from './http/json-body';
import { createIngressMetrics, type Registry } from '../metrics';
import { createDeliveryRouter, metricsObserver, type DeliveryTracing } from './delivery';
import { createTemporalCircuit } from './temporal-circuit';
import { sendError } from './http/http-errors';
import { requestIds } from './http/request-id';
import { createConsoleRouter } from './console-routes';
import { DEFAULT_TEMPORAL_UI_URL } from './webhook-routes';
import { createManagementRouter } from './management-routes';
import { createSubscriptionRouter } from './subscription-routes';
import { createReplayRouter } from './replay-routes';
import { createTokenRouter } from './token-routes';
import { createOutboundGuard } from '../outbound/outbound-guard';
import { DEFAULT_MAX_JSON_DEPTH } from '../resources/json-limits';

export interface AppDeps {
  store: Store;
  client: Client;
  logger: Logger;
  /**
   * The root bearer token of the `/v1/` management API (admin of every namespace; API tokens are
   * made with it); without one the API is not mounted (embedded use).
   */
  adminToken?: string;
  /** Embedded in the user's app: requests no route matches go on to the app's next handler instead of a 404. */
  embedded?: boolean;
  maxBodyBytes?: number;
  /** Deepest JSON body the management API accepts, and deliveries by default (TEMPOHOOK_MAX_JSON_DEPTH). */
  maxJsonDepth?: number;
  retryAfterSeconds?: number;
  temporalTimeoutMs?: number;
  /** Consecutive unavailable answers from Temporal after which starts are refused at once (default 5). */
  temporalCircuitThreshold?: number;
  publicUrl?: string;
  now?: () => Date;
  /** TEMPOHOOK_OUTBOUND_ALLOW, for `POST /v1/subscriptions/{name}/test`. */
  outboundAllow?: string;
  /** Records tempohook's metrics there; a standalone app (not `embedded`) also serves it at `/metrics`. */
  metrics?: Registry;
  /** A span per delivery (`loadDeliveryTracing()`); off when absent. */
  tracing?: DeliveryTracing;
  /** Default of spec.retention.payloads in seconds (TEMPOHOOK_PAYLOAD_RETENTION, 7 days); 0 keeps none. */
  payloadRetentionSeconds?: number;
  /** Replays per second of a bulk replay that names no `rate` (TEMPOHOOK_REPLAY_RATE, 10). */
  replayRatePerSecond?: number;
  /** The Temporal Web UI the console and a delivery's detail link runs to (TEMPOHOOK_TEMPORAL_UI_URL; default the dev server's http://localhost:8233). */
  temporalUiUrl?: string;
}

/** True when Temporal answers a cheap call before the deadline. */
async function temporalReady(client: Client, timeoutMs: number): Promise<boolean> {
  try {
    await client.withDeadline(Date.now() + timeoutMs, () => client.workflowService.getSystemInfo({}));
    return true;
  } catch {
    return false;
  }
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  const maxJsonDepth = deps.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH;
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  // Embedded, requests that fall through belong to the user's app: only deliveries get an id there.
  if (!deps.embedded) app.use(requestIds);

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/readyz', async (_req, res) => {
    const [store, temporal] = await Promise.all([deps.store.ping(2000), temporalReady(deps.client, 2000)]);
    res.status(store && temporal ? 200 : 503).json({ ok: store && temporal, store, temporal });
  });

  if (deps.metrics && !deps.embedded) {
    const registry = deps.metrics;
    app.get('/metrics', async (_req, res) => {
      res.type(registry.contentType).send(await registry.metrics());
    });
  }
  const metrics = deps.metrics
    ? createIngressMetrics(deps.metrics, { waits: () => deps.store.waits.countLive() })
    : undefined;
  const deliveries = createDeliveryRouter({
    store: deps.store,
    client: deps.client,
    logger: deps.logger.child({ component: 'delivery' }),
    maxBodyBytes: deps.maxBodyBytes ?? 1024 * 1024,
    maxJsonDepth,
    retryAfterSeconds: deps.retryAfterSeconds ?? 5,
    temporalTimeoutMs: deps.temporalTimeoutMs ?? 5000,
    circuit: createTemporalCircuit({ threshold: deps.temporalCircuitThreshold ?? 5 }),
    ...(deps.publicUrl ? { publicUrl: deps.publicUrl } : {}),
    ...(deps.now ? { now: deps.now } : {}),
    ...(metrics ? { observers: [metricsObserver(metrics)] } : {}),
    ...(deps.tracing ? { tracing: deps.tracing } : {}),
    ...(deps.payloadRetentionSeconds === undefined ? {} : { payloadRetentionSeconds: deps.payloadRetentionSeconds }),
  });
  app.locals.drainDeliveries = (timeoutMs: number) => deliveries.drain(timeoutMs);
  // The bulk replay runner (started with the periodic job, replay-jobs.ts) replays through this pipeline.
  app.locals.replayDelivery = deliveries.replayer;
  app.use(deliveries);
  if (deps.adminToken) {
    const logger = deps.logger.child({ component: 'api' });
    const authenticate = authenticateApi({ adminToken: deps.adminToken, store: deps.store, logger });
    // The console comes with the API it reads: its files are public, its data is behind a token.
    app.use(
      createConsoleRouter({
        logger: deps.logger.child({ component: 'console' }),
        auth: authenticate,
        temporalUiUrl: deps.temporalUiUrl ?? DEFAULT_TEMPORAL_UI_URL,
        temporalNamespace: deps.client.options.namespace,
      }),
    );
    // Who is calling (401), its body (a PUT names its namespace there), then whether it may (403/404).
    app.use('/v1', authenticate);
    app.use('/v1', jsonBody(maxJsonDepth), jsonBodyErrors(maxJsonDepth));
    app.use('/v1', authorizeApi({ store: deps.store, logger }));
    app.use(createTokenRouter({ store: deps.store, logger, maxJsonDepth, ...(deps.now ? { now: deps.now } : {}) }));
    app.use(
      createSubscriptionRouter({
        store: deps.store,
        client: deps.client,
        logger: deps.logger.child({ component: 'api' }),
        guard: createOutboundGuard(deps.outboundAllow),
        maxJsonDepth,
      }),
    );
    app.use(
      createReplayRouter({
        store: deps.store,
        logger: deps.logger.child({ component: 'api' }),
        replayer: deliveries.replayer,
        retryAfterSeconds: deps.retryAfterSeconds ?? 5,
        ...(deps.replayRatePerSecond === undefined ? {} : { defaultRatePerSecond: deps.replayRatePerSecond }),
        wakeRunner: () => (app.locals.wakeReplayRunner as (() => void) | undefined)?.(),
        ...(deps.now ? { now: deps.now } : {}),
      }),
    );
    app.use(
      createManagementRouter({
        store: deps.store,
        logger: deps.logger.child({ component: 'api' }),
        maxJsonDepth,
        ...(deps.publicUrl ? { publicUrl: deps.publicUrl } : {}),
        temporal: {
          namespace: deps.client.options.namespace,
          uiUrl: deps.temporalUiUrl ?? DEFAULT_TEMPORAL_UI_URL,
        },
      }),
    );
  }

  if (!deps.embedded)
    app.use((_req, res) =>
      sendError(res, 404, 'not_found', 'No such route. The API lives under /v1/; see the README.'),
    );
  app.use((err: unknown, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    // Client mistakes Express itself detects (a malformed percent-encoding in the path, …).
    const status = (err as { status?: unknown })?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      if (!res.headersSent)
        sendError(res, status, 'bad_request', 'The request could not be understood (check the URL and its encoding).');
      return;
    }
    deps.logger.error('unhandled request error', { path: req.path, error: (err as Error)?.message });
    if (!res.headersSent)
      sendError(res, 500, 'internal_error', 'Something went wrong; the ingress log has the details.');
  });
  return app;
}
