/**
 * The ingress as a handler for the user's own HTTP server: `app.use('/hooks', createTempohookRouter(…))`
 * in Express, or `(req, res)` for `node:http`, Fastify's `reply.raw` and the like. The same app
 * `tempohook ingress` serves, minus the listening and, unless an admin token is given, the
 * management API and the web console.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Client } from '@temporalio/client';
import { TempohookError } from '../errors';
import { createLogger, type Logger } from '../logger';
import { createStore } from '../store';
import type { Store } from '../store/types';
import type { Registry } from '../metrics';
import { createApp } from './app';
import { loadDeliveryTracing } from './delivery';
import { replayRunnerOf, startIngressMaintenance } from './maintenance';

export interface TempohookRouterOptions {
  /** The Temporal client deliveries start and signal workflows with. */
  client: Client;
  /** An open store (its owner closes it) … */
  store?: Store;
  /** … or the PostgreSQL to open one on (migrated on first use, closed by `close()`). */
  databaseUrl?: string;
  /** Key of Secrets encrypted at rest (32 bytes, base64 or hex); default TEMPOHOOK_SECRET_KEY. Only with `databaseUrl`. */
  encryptionKey?: string;
  /** Mounts the `/v1/` management API behind this bearer token; without it only deliveries are served. */
  adminToken?: string;
  logger?: Logger;
  /** Default body limit in bytes (default 1 MiB; per webhook `spec.maxBodyBytes`). */
  maxBodyBytes?: number;
  /** `Retry-After` on a 503 (default 5). */
  retryAfterSeconds?: number;
  /** How long a start may take before the answer is 503 (default 5000). */
  temporalTimeoutMs?: number;
  /** The public base URL of the mount point, e.g. `https://example.com/hooks` (shown as `status.url`; Twilio signs it). */
  publicUrl?: string;
  /** CIDRs and hosts `POST /v1/subscriptions/{name}/test` may reach although private. */
  outboundAllow?: string;
  /** The Temporal Web UI the console (`<mount>/console/`, with `adminToken`) links runs to; default TEMPOHOOK_TEMPORAL_UI_URL, else http://localhost:8233. */
  temporalUiUrl?: string;
  /** Purge expired dedup keys and sweep abandoned waits every 10 minutes (default true). */
  maintenance?: boolean;
  /** A prom-client registry to record tempohook's metrics on (serve it at your own `/metrics`). */
  metrics?: Registry;
  /**
   * A `tempohook.delivery` span per delivery on the global OpenTelemetry tracer (needs
   * `@opentelemetry/api` and your SDK); give `client` the `OpenTelemetryWorkflowClientInterceptor`
   * so the trace continues in the workflow.
   */
  tracing?: boolean;
}

type Next = (err?: unknown) => void;

/** A request handler, usable as Express middleware (with `next`) or as a plain `(req, res)` listener. */
export interface TempohookRouter {
  (req: IncomingMessage, res: ServerResponse, next?: Next): void;
  /** Resolves once the store is open and migrated (requests wait for it anyway). */
  ready(): Promise<void>;
  /** Lets deliveries in flight finish (up to `timeoutMs`), stops the upkeep, and closes a store it opened. */
  close(timeoutMs?: number): Promise<void>;
}

interface Opened {
  app: ReturnType<typeof createApp>;
  stopMaintenance: () => void;
  ownStore?: Store;
}

/** The delivery endpoints as Express middleware: `app.use('/hooks', createTempohookRouter({ client, databaseUrl }))`. */
export function createTempohookRouter(options: TempohookRouterOptions): TempohookRouter {
  if (!options.store && !options.databaseUrl)
    throw new TempohookError(
      'invalid_config',
      'createTempohookRouter needs the ingress database: pass { databaseUrl } (PostgreSQL) or an open { store }.',
    );
  const logger = options.logger ?? createLogger({ base: { component: 'tempohook' } });
  const temporalTimeoutMs = options.temporalTimeoutMs ?? 5000;

  const open = async (): Promise<Opened> => {
    const encryptionKey = options.encryptionKey ?? process.env.TEMPOHOOK_SECRET_KEY;
    const ownStore = options.store
      ? undefined
      : await createStore({ databaseUrl: options.databaseUrl!, logger, ...(encryptionKey ? { encryptionKey } : {}) });
    const store = options.store ?? ownStore!;
    const tracing = options.tracing ? await loadDeliveryTracing() : undefined;
    const temporalUiUrl = options.temporalUiUrl ?? process.env.TEMPOHOOK_TEMPORAL_UI_URL;
    const app = createApp({
      store,
      client: options.client,
      logger,
      embedded: true,
      temporalTimeoutMs,
      ...(options.adminToken ? { adminToken: options.adminToken } : {}),
      ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}),
      ...(options.retryAfterSeconds ? { retryAfterSeconds: options.retryAfterSeconds } : {}),
      ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
      ...(options.outboundAllow ? { outboundAllow: options.outboundAllow } : {}),
      ...(temporalUiUrl ? { temporalUiUrl } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
      ...(tracing ? { tracing } : {}),
    });
    const stopMaintenance =
      options.maintenance === false
        ? () => undefined
        : startIngressMaintenance({
            store,
            client: options.client,
            logger,
            temporalTimeoutMs,
            ...replayRunnerOf(app),
          });
    return { app, stopMaintenance, ...(ownStore ? { ownStore } : {}) };
  };

  let opening: Promise<Opened> | undefined;
  const opened = () =>
    (opening ??= open().catch((err: unknown) => {
      opening = undefined; // the next request tries again
      throw err;
    }));

  const handler = ((req: IncomingMessage, res: ServerResponse, next?: Next) => {
    // A body parser that ran first consumed the raw bytes every signature is computed over.
    if (req.readableEnded || (req as { _body?: unknown })._body === true) {
      reply(res, 500, 'body_already_parsed', 'Mount the tempohook router before any body parser (express.json(), …).');
      return;
    }
    // Express gives req and res its app's prototypes; the user's app gets its own back on fall-through.
    const prototypes = [Object.getPrototypeOf(req), Object.getPrototypeOf(res)] as const;
    opened().then(
      ({ app }) =>
        app(req as never, res as never, (err?: unknown) => {
          Object.setPrototypeOf(req, prototypes[0]);
          Object.setPrototypeOf(res, prototypes[1]);
          if (next) next(err);
          else if (!res.headersSent) reply(res, 404, 'not_found', 'No such tempohook route.');
        }),
      (err: unknown) => {
        logger.error('tempohook store unavailable', { error: (err as Error).message });
        reply(res, 503, 'store_unavailable', 'The webhook store is unavailable; retry later.', {
          'retry-after': String(options.retryAfterSeconds ?? 5),
        });
      },
    );
  }) as TempohookRouter;
  handler.ready = async () => {
    await opened();
  };
  handler.close = async (timeoutMs = 20_000) => {
    const current = await opening?.catch(() => undefined);
    opening = undefined;
    if (!current) return;
    current.stopMaintenance();
    const drain = current.app.locals.drainDeliveries as ((ms: number) => Promise<void>) | undefined;
    await drain?.(timeoutMs);
    await current.ownStore?.close();
  };
  return handler;
}

/** The same handler under the name a non-Express server expects: `http.createServer(createTempohookHandler(…))`. */
export const createTempohookHandler: (options: TempohookRouterOptions) => TempohookRouter = createTempohookRouter;

function reply(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify({ error: { code, message } }));
}
