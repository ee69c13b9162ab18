/**
 * What only webhooks have under `/v1/webhooks/{name}` (the resource itself is served by
 * resource-routes.ts): its delivery history, newest first and searchable, and the runs waiting
 * on it; and one delivery by id (`/v1/deliveries/{deliveryId}`).
 */
import type express from 'express';
import type { Request } from 'express';
import type { Logger } from '../logger';
import { notFoundMessage } from '../resources/kinds';
import { webhookKind } from '../resources/kinds/webhook';
import type { DeliveryRecord, KeptPayload, Store, WaitRecord } from '../store/types';
import { parseDeliverySearch } from './delivery-search-query';
import { sendError } from './http/http-errors';
import { managementRoute, nameOf, namespaceOf, pageOf } from './http/route-kit';

export interface WebhookRoutesDeps {
  store: Store;
  logger: Logger;
  /** Anchors `since=2h`-style searches (default the clock). */
  now?: () => Date;
  /** The Temporal namespace runs are started in, and the Web UI to link them (TEMPOHOOK_TEMPORAL_UI_URL). */
  temporal?: { namespace: string; uiUrl: string };
}

/** The dev server's Web UI: the default of TEMPOHOOK_TEMPORAL_UI_URL. */
export const DEFAULT_TEMPORAL_UI_URL = 'http://localhost:8233';

/** The run's page in the Temporal Web UI. */
export function temporalRunUrl(uiUrl: string, namespace: string, workflowId: string, runId: string | null): string {
  const base = `${uiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${encodeURIComponent(runId)}` : base;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A kept request as the API shows it: the body parsed when it is JSON (`bodyEncoding: json`),
 * else as text (`text`), else base64 (`base64`); the headers as kept (no credentials).
 */
export function presentPayload(payload: KeptPayload) {
  let body: unknown;
  let bodyEncoding: 'json' | 'text' | 'base64';
  let text: string | undefined;
  try {
    text = strictUtf8.decode(payload.body);
  } catch {
    text = undefined;
  }
  if (text === undefined) {
    body = payload.body.toString('base64');
    bodyEncoding = 'base64';
  } else {
    try {
      body = text.trim() === '' ? text : (JSON.parse(text) as unknown);
      bodyEncoding = text.trim() === '' ? 'text' : 'json';
    } catch {
      body = text;
      bodyEncoding = 'text';
    }
  }
  return {
    body,
    bodyEncoding,
    bodyBytes: payload.body.length,
    contentType: payload.contentType,
    headers: payload.headers,
  };
}

/** One delivery of a webhook's history as the API shows it. */
export function presentDelivery(record: DeliveryRecord) {
  return {
    id: record.id,
    eventId: record.eventId,
    sourceEvent: record.sourceEvent,
    receivedAt: record.receivedAt.toISOString(),
    httpStatus: record.httpStatus,
    outcome: record.outcome,
    reason: record.reason,
    workflowId: record.workflowId,
    runId: record.runId,
    duplicateOf: record.duplicateOf,
    /** A replay: the delivery it replays. */
    replayOf: record.replayOf,
    /** Per route (webhooks with `spec.routes`): `{route, action, status, workflowId, runId, reason?}`. */
    actions: record.actions,
  };
}
export type DeliveryView = ReturnType<typeof presentDelivery>;

/** `GET /v1/deliveries/{deliveryId}`: a delivery, its run, and its kept request while kept. */
export type DeliveryDetailView = DeliveryView & {
  webhook: string;
  namespace: string;
  run: { namespace: string; workflowId: string; runId: string | null; url: string } | null;
  payloadKept: boolean;
} & Partial<ReturnType<typeof presentPayload>>;

/** One open wait (`waitForWebhook`) as the API shows it. */
export function presentWait(record: WaitRecord) {
  return {
    waitId: record.id,
    workflowId: record.workflowId,
    runId: record.runId,
    workflowType: record.workflowType,
    temporalNamespace: record.temporalNamespace,
    match: record.match,
    if: record.condition,
    state: record.state,
    createdAt: record.createdAt.toISOString(),
    timeoutAt: record.timeoutAt?.toISOString() ?? null,
  };
}
export type WaitView = ReturnType<typeof presentWait>;

/** Adds `GET /v1/webhooks/{name}/deliveries` (filtered), `…/waits` and `GET /v1/deliveries/{deliveryId}`. */
export function addWebhookRoutes(router: express.Router, deps: WebhookRoutesDeps): void {
  const { store } = deps;
  const route = managementRoute(deps.logger);
  /** The webhook a request names, or null once the 404 is sent. */
  const webhookOf = async (req: Request, res: express.Response) => {
    const [namespace, name] = [namespaceOf(req), nameOf(req)];
    const record = await store.webhooks.get(namespace, name);
    if (!record) sendError(res, 404, 'not_found', notFoundMessage(webhookKind, namespace, name));
    return record;
  };

  router.get(
    '/v1/webhooks/:name/deliveries',
    route(async (req, res) => {
      const webhook = await webhookOf(req, res);
      if (!webhook) return;
      const filter = parseDeliverySearch(req.query, deps.now ?? (() => new Date()));
      const page = await store.deliveries.list(webhook.id, pageOf(req), filter);
      res.json({ items: page.items.map(presentDelivery), nextCursor: page.nextCursor });
    }),
  );
  router.get(
    '/v1/deliveries/:deliveryId',
    route(async (req, res) => {
      const namespace = namespaceOf(req);
      const id = String(req.params.deliveryId);
      const found = await store.deliveries.getInNamespace(namespace, id);
      if (!found) return sendError(res, 404, 'not_found', `No delivery ${id} in namespace ${namespace}.`);
      const { delivery } = found;
      const payload = await store.deliveries.getPayload(delivery.id);
      const temporal = deps.temporal ?? { namespace: 'default', uiUrl: DEFAULT_TEMPORAL_UI_URL };
      const run = delivery.workflowId
        ? {
            namespace: temporal.namespace,
            workflowId: delivery.workflowId,
            runId: delivery.runId,
            url: temporalRunUrl(temporal.uiUrl, temporal.namespace, delivery.workflowId, delivery.runId),
          }
        : null;
      res.json({
        ...presentDelivery(delivery),
        webhook: found.webhook,
        namespace,
        run,
        payloadKept: payload !== null,
        ...(payload ? presentPayload(payload) : {}),
      });
    }),
  );
  router.get(
    '/v1/webhooks/:name/waits',
    route(async (req, res) => {
      const webhook = await webhookOf(req, res);
      if (!webhook) return;
      const { limit, cursor } = pageOf(req);
      const page = await store.waits.listOpen(webhook.id, { limit, ...(cursor ? { after: cursor } : {}) });
      res.json({ items: page.items.map(presentWait), nextCursor: page.nextCursor });
    }),
  );
}
