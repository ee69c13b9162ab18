/**
 * Replay under the management API: `POST /v1/deliveries/{deliveryId}/replay` runs one stored
 * delivery through the pipeline again (see delivery/replay.ts). The answer is the new delivery's
 * own answer — the 202 a provider would have had (`duplicate` with the run, or the run started
 * now) or the error, with the operator's detail — plus `replayOf`.
 *
 * Bulk: `POST /v1/webhooks/{name}/replay` with the search's filters creates a replay job over
 * the deliveries they match now, run in the background by the ingress replicas (replay-jobs.ts);
 * `GET /v1/webhooks/{name}/replays[/{id}]` shows its progress, `POST …/replays/{id}/cancel` stops it.
 */
import express, { type Request } from 'express';
import type { Logger } from '../logger';
import { notFoundMessage } from '../resources/kinds';
import { webhookKind } from '../resources/kinds/webhook';
import type { ReplayJobRecord, Store } from '../store/types';
import type { DeliveryReplayer, ReplayResult } from './delivery';
import { parseDeliverySearch } from './delivery-search-query';
import { sendError } from './http/http-errors';
import { BadRequest, managementRoute, nameOf, namespaceOf } from './http/route-kit';
import { DEFAULT_REPLAY_RATE, MAX_REPLAY_ITEMS } from './replay-jobs';

export interface ReplayRoutesDeps {
  store: Store;
  logger: Logger;
  replayer: DeliveryReplayer;
  retryAfterSeconds: number;
  /** Replays per second of a job that names no `rate` (TEMPOHOOK_REPLAY_RATE). */
  defaultRatePerSecond?: number;
  /** Tells this replica's runner a job is waiting (it polls anyway). */
  wakeRunner?: () => void;
  now?: () => Date;
}

/** A bulk replay job as the API shows it. */
export function presentReplayJob(job: ReplayJobRecord) {
  return {
    id: job.id,
    webhook: job.webhookName,
    namespace: job.namespace,
    state: job.state,
    total: job.total,
    done: job.done,
    succeeded: job.succeeded,
    failed: job.failed,
    filter: job.filter,
    newEventId: job.newEventId,
    ratePerSecond: job.ratePerSecond,
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
    finishedAt: job.finishedAt?.toISOString() ?? null,
  };
}
export type ReplayJobView = ReturnType<typeof presentReplayJob>;

/** `?rate=` replays per second: 0.1 to 1000. */
function rateQuery(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const rate = Number(value);
  if (typeof value !== 'string' || !Number.isFinite(rate) || rate < 0.1 || rate > 1000)
    throw new BadRequest('invalid_query', '?rate: replays per second, from 0.1 to 1000.', { parameter: 'rate' });
  return rate;
}

/** `?newEventId=true` (or 1 / false / 0); anything else is a 400 naming the parameter. */
export function booleanQuery(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  if (value === 'true' || value === '1' || value === '') return true;
  if (value === 'false' || value === '0') return false;
  throw new BadRequest('invalid_query', `?${name}: must be true or false.`, { parameter: name });
}

/** The HTTP answer of a replay: status and JSON body (error bodies carry `deliveryId` and `replayOf` too). */
export function replayAnswer(
  result: ReplayResult,
  retryAfterSeconds: number,
): { status: number; body: Record<string, unknown>; headers?: Record<string, string> } {
  if (result.kind === 'not_replayable')
    return { status: result.status, body: { error: { code: result.code, message: result.message } } };
  const { verdict, deliveryId, replayOf } = result;
  const link = { deliveryId: deliveryId ?? null, replayOf };
  const failure = (status: number, code: string, message: string) => ({
    status,
    body: { error: { code, message }, ...link },
  });
  switch (verdict.kind) {
    case 'accepted':
      return { status: 202, body: { ...verdict.answer, ...link } };
    case 'ignored':
      return { status: 202, body: { accepted: true, ignored: true, reason: verdict.reason, ...link } };
    case 'refused':
      // The operator sees the reason (the history's), not the shorter text a sender gets.
      return failure(verdict.status, verdict.code, verdict.reason);
    case 'start_refused':
      return failure(verdict.status, verdict.code, `${verdict.message}: ${verdict.detail}`);
    case 'unavailable':
      return {
        ...failure(
          503,
          verdict.dependency === 'store' ? 'store_unavailable' : 'temporal_unavailable',
          verdict.dependency === 'store'
            ? 'The delivery store is unavailable; retry the replay later.'
            : 'Temporal is unavailable; retry the replay later.',
        ),
        headers: { 'Retry-After': String(retryAfterSeconds) },
      };
    case 'endpoint_not_found':
    case 'webhook_invalid':
    case 'handshake':
      return failure(409, 'webhook_invalid', 'The webhook cannot take this delivery as configured; re-apply it.');
  }
}

/** Adds the replay routes to `router`. */
export function addReplayRoutes(router: express.Router, deps: ReplayRoutesDeps): void {
  const route = managementRoute(deps.logger);
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  const webhookOf = async (req: Request, res: express.Response) => {
    const [namespace, name] = [namespaceOf(req), nameOf(req)];
    const record = await store.webhooks.get(namespace, name);
    if (!record) sendError(res, 404, 'not_found', notFoundMessage(webhookKind, namespace, name));
    return record;
  };
  const jobNotFound = (res: express.Response, id: string) =>
    sendError(res, 404, 'not_found', `No replay ${id} of this webhook.`);

  router.post(
    '/v1/webhooks/:name/replay',
    route(async (req, res) => {
      const webhook = await webhookOf(req, res);
      if (!webhook) return;
      const { rate, newEventId, ...search } = req.query;
      const filter = parseDeliverySearch(search, now);
      if (Object.keys(filter).length === 0)
        throw new BadRequest(
          'filter_required',
          'Say which deliveries to replay: give at least one of outcome, status, eventId, workflowId, since, until (e.g. ?outcome=failed&since=2h).',
        );
      const job = await store.replayJobs.create({
        webhookId: webhook.id,
        filter,
        newEventId: booleanQuery(newEventId, 'newEventId'),
        ratePerSecond: rateQuery(rate, deps.defaultRatePerSecond ?? DEFAULT_REPLAY_RATE),
        now: now(),
        maxItems: MAX_REPLAY_ITEMS,
      });
      deps.wakeRunner?.();
      res.setHeader('Location', `/v1/webhooks/${webhook.name}/replays/${job.id}?namespace=${webhook.namespace}`);
      res.status(202).json(presentReplayJob(job));
    }),
  );
  router.get(
    '/v1/webhooks/:name/replays',
    route(async (req, res) => {
      const webhook = await webhookOf(req, res);
      if (!webhook) return;
      res.json({ items: (await store.replayJobs.list(webhook.id, 50)).map(presentReplayJob) });
    }),
  );
  router.get(
    '/v1/webhooks/:name/replays/:id',
    route(async (req, res) => {
      const webhook = await webhookOf(req, res);
      if (!webhook) return;
      const id = String(req.params.id);
      const job = await store.replayJobs.get(webhook.id, id);
      if (!job) return jobNotFound(res, id);
      res.json(presentReplayJob(job));
    }),
  );
  router.post(
    '/v1/webhooks/:name/replays/:id/cancel',
    route(async (req, res) => {
      const webhook = await webhookOf(req, res);
      if (!webhook) return;
      const id = String(req.params.id);
      const job = await store.replayJobs.cancel(webhook.id, id, now());
      if (!job) return jobNotFound(res, id);
      res.json(presentReplayJob(job));
    }),
  );

  router.post(
    '/v1/deliveries/:deliveryId/replay',
    route(async (req, res) => {
      const namespace = namespaceOf(req);
      const newEventId = booleanQuery(req.query.newEventId, 'newEventId');
      const result = await deps.replayer(namespace, String(req.params.deliveryId), { newEventId });
      const answer = replayAnswer(result, deps.retryAfterSeconds);
      for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
      res.status(answer.status).json(answer.body);
    }),
  );
}

/** The replay routes as a router of their own (mounted behind the API's authentication). */
export function createReplayRouter(deps: ReplayRoutesDeps): express.Router {
  const router = express.Router();
  addReplayRoutes(router, deps);
  return router;
}
