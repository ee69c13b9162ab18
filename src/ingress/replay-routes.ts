/**
 * Replay under the management API: `POST /v1/deliveries/{deliveryId}/replay` runs one stored
 * delivery through the pipeline again (see delivery/replay.ts). The answer is the new delivery's
 * own answer — the 202 a provider would have had (`duplicate` with the run, or the run started
 * now) or the error, with the operator's detail — plus `replayOf`.
 */
import express from 'express';
import type { Logger } from '../logger';
import type { DeliveryReplayer, ReplayResult } from './delivery';
import { BadRequest, managementRoute, namespaceOf } from './http/route-kit';

export interface ReplayRoutesDeps {
  logger: Logger;
  replayer: DeliveryReplayer;
  retryAfterSeconds: number;
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

/** Adds `POST /v1/deliveries/{deliveryId}/replay` to `router`. */
export function addReplayRoutes(router: express.Router, deps: ReplayRoutesDeps): void {
  const route = managementRoute(deps.logger);
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
