/**
 * `POST /v1/webhook-deliveries/{endpointId}` as a pipeline. Each stage returns `next` with what it
 * found, or the verdict (verdict.ts) that ends the delivery; the ledger records the verdict and
 * `respond` writes it. The stages, in order:
 *
 *   resolve  endpoint id → webhook, spec and profile                      resolve-endpoint.ts
 *   read     raw bytes under the webhook's limit → InboundRequest         read-body.ts
 *   verify   secrets → a recognised handshake, or a verified signature    verify.ts
 *   admit    conditions (handshake answered) → rate limit → body →
 *            event id → filters                                           admit.ts
 *   reserve  dedup key (webhook, event id) for the window                 reserve.ts
 *   act      the matching routes (start a run, signal an entity), then
 *            waiting runs                                                 act.ts, routes.ts
 *   record   delivery log + webhook status                                ledger.ts
 *   respond  the one HTTP answer for the verdict                          respond.ts
 *
 * A 202 means Temporal durably accepted the start and the signals. When Temporal or the store
 * is unreachable the answer is 503 with Retry-After and a held key is released, so the
 * provider's retry succeeds later.
 *
 * Reporting stays out of the stages: once a delivery is answered, `handle` writes the access log
 * line and tells the observers (metrics) what the DeliveryContext and the verdict say
 * (observe.ts); tracing wraps `handle` in the delivery's span (tracing.ts).
 * Seams for the next issues (the stages need no rewrite for them):
 * - cached lookups sit behind `resolveEndpoint` and the secret reads in verify/admit; the writes
 *   after the start are one call, `ledger.record`; a circuit breaker is a check in `act` that
 *   returns the `unavailable` verdict; signals in the background are a signal action's outcome;
 * - routes: `planActions` lists the webhook's routes, `act` takes the matching ones (first or
 *   all), records what each did per (webhook, event, route), and `accepted` lists them;
 * Hostile input: the JSON depth is checked on the raw bytes in `verify`, before anything that
 * recurses (400 payload_too_deep); endpoint ids of the wrong shape never reach SQL; a value the
 * store refuses is a `refused` 4xx (`storeFailure`), only an unreachable store is 503; rows of
 * requests that held no key are written in coalesced batches (the ledger).
 */
import { performance } from 'node:perf_hooks';
import express, { type Request, type Response } from 'express';
import { sendError } from '../http/http-errors';
import { requestIdOf } from '../http/request-id';
import { admit } from './admit';
import { act, planActions } from './act';
import { createDeliveryContext, timed, type DeliveryContext, type DeliveryDeps } from './context';
import { createDeliveryLedger } from './ledger';
import { createDeliveryReplayer, type DeliveryReplayer } from './replay';
export { createDeliveryReplayer, type DeliveryReplayer, type ReplayResult } from './replay';
import { accessLogFields, outcomeOf, type DeliveryObservation, type DeliveryObserver } from './observe';
export { metricsObserver } from './observe';
import { createIngressLookups, type IngressLookups } from './lookups';
export { loadDeliveryTracing, type DeliveryTracing } from './tracing';
import { createBodyReader } from './read-body';
import { reserve } from './reserve';
import { createEndpointResolver } from './resolve-endpoint';
import { respond } from './respond';
import type { DeliveryTracing } from './tracing';
import { verifyDelivery } from './verify';
import type { Verdict } from './verdict';

export type { DeliveryDeps } from './context';
export type { DeliveryObservation, DeliveryObserver, ObservedOutcome } from './observe';
export { DEFAULT_WORKFLOW_ID_TEMPLATE } from './start-request';

/** Runs the stages up to the verdict; `handle` records and answers it. */
export function createDeliveryPipeline(deps: DeliveryDeps) {
  const resolveEndpoint = createEndpointResolver(deps);
  const readBody = createBodyReader(deps);
  return async function decide(ctx: DeliveryContext, req: Request, res: Response): Promise<Verdict> {
    const resolved = await timed(ctx, 'resolve', () => resolveEndpoint(ctx.endpointId));
    if (resolved.kind !== 'next') return resolved;
    const webhook = (ctx.webhook = resolved.webhook);
    const read = await timed(ctx, 'read', () => readBody(req, res, webhook, ctx.receivedAt));
    if (read.kind !== 'next') return read;
    const { inbound } = read;
    ctx.inbound = inbound;
    const verified = await timed(ctx, 'verify', () => verifyDelivery(deps, webhook, inbound));
    if (verified.kind !== 'next') return verified;
    const admitted = await timed(ctx, 'admit', () => admit(deps, webhook, inbound, verified));
    if (admitted.kind !== 'next') return admitted;
    const { event } = admitted;
    ctx.eventId = event.eventId;
    const reserved = await timed(ctx, 'reserve', () => reserve(deps, webhook, event, inbound));
    if (reserved.kind !== 'next') return reserved;
    const { reservation } = reserved;
    ctx.reservation = { deliveryId: reservation.delivery.id, holdsKey: reservation.reserved };
    return timed(ctx, 'act', () => act(deps, { webhook, inbound, event, reservation }, planActions(webhook.spec)));
  };
}

export type DeliveryRouter = express.Router & {
  /** Resolves once no delivery is in flight, or after `timeoutMs`. */
  drain(timeoutMs: number): Promise<void>;
  /** Replays stored deliveries through this router's pipeline (the management API's replay routes). */
  replayer: DeliveryReplayer;
};

export function createDeliveryRouter(
  options: Omit<DeliveryDeps, 'now' | 'lookups'> & {
    now?: () => Date;
    lookups?: IngressLookups;
    /** Told about every answered delivery, after the access log line (metrics). */
    observers?: DeliveryObserver[];
    /** A span per delivery (see tracing.ts). */
    tracing?: DeliveryTracing;
  },
): DeliveryRouter {
  const { observers: given = [], tracing, ...rest } = options;
  const observers = tracing ? [...given, tracing.observer] : given;
  // Shutdown waits for deliveries in flight, so none is left holding a key it can no longer
  // release, and for the signals of large fan-outs sent after their answer.
  let inFlight = 0;
  const idleWaiters: Array<() => void> = [];
  const settled = () => {
    if (--inFlight === 0) idleWaiters.splice(0).forEach((wake) => wake());
  };
  const deps: DeliveryDeps = {
    ...rest,
    lookups: options.lookups ?? createIngressLookups(options.store),
    runInBackground: (task) => {
      inFlight++;
      void task.then(settled, settled);
    },
    now: options.now ?? (() => new Date()),
  };
  const decide = createDeliveryPipeline(deps);
  const ledger = createDeliveryLedger(deps);
  const accessLog = deps.logger.child({ log: 'access' });

  /** The access log line and the observers: reporting never changes or delays an answer. */
  function observe(observation: DeliveryObservation) {
    accessLog.info('delivery', accessLogFields(observation));
    for (const observer of observers) {
      try {
        observer(observation);
      } catch (err) {
        deps.logger.warn('a delivery observer failed', { error: (err as Error)?.message });
      }
    }
  }

  async function handle(req: Request, res: Response) {
    const started = performance.now();
    const requestId = requestIdOf(req, res);
    const ctx = createDeliveryContext(String(req.params.endpointId), deps.now());
    const verdict = await decide(ctx, req, res);
    await timed(ctx, 'record', () => ledger.record(ctx, verdict));
    await timed(ctx, 'respond', () => respond(res, verdict, deps));
    const durationMs = performance.now() - started;
    observe({ requestId, ctx, verdict, outcome: outcomeOf(verdict), status: res.statusCode, durationMs });
  }

  const router = express.Router() as DeliveryRouter;
  const replay = createDeliveryReplayer(deps);
  // Counted in flight like a delivery: shutdown lets a replay finish and release what it holds.
  router.replayer = async (...args) => {
    inFlight++;
    try {
      return await replay(...args);
    } finally {
      settled();
    }
  };
  router.drain = (timeoutMs) =>
    inFlight === 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          idleWaiters.push(resolve);
          setTimeout(resolve, timeoutMs).unref();
        });
  router.post('/v1/webhook-deliveries/:endpointId', async (req, res) => {
    inFlight++;
    try {
      await (tracing ? tracing.around(req, () => handle(req, res)) : handle(req, res));
    } finally {
      settled();
    }
  });
  router.all('/v1/webhook-deliveries/:endpointId', (_req, res) => {
    res.setHeader('Allow', 'POST');
    sendError(res, 405, 'method_not_allowed', 'Webhook endpoints accept POST only.');
  });
  return router;
}
