/**
 * The management API under `/v1/` (admin token required): Secrets and Webhooks as declarative
 * resources, and each webhook's delivery history. Secret values go in and never come out.
 */
import express from 'express';
import type { Logger } from '../logger';
import { API_VERSION, secretResource, webhookResource } from '../resources/schemas';
import type { DeliveryRecord, SecretRecord, Store, WebhookRecord } from '../store/types';
import type { WaitRecord } from '../store/types';
import { conditionOnlyProfiles, profiles, type Profile } from '../verify';
import { sendError } from './http/http-errors';
import { findNulCharacter } from '../resources/json-limits';
import { jsonBody, jsonBodyErrors } from './http/json-body';
import { BadRequest, managementRoute, nameOf, namespaceOf, pageOf, parseResource } from './http/route-kit';

export interface ManagementDeps {
  store: Store;
  logger: Logger;
  /** Public base URL, to show full endpoint URLs in `status.url`. */
  publicUrl?: string;
  /** Deepest JSON body accepted (TEMPOHOOK_MAX_JSON_DEPTH). */
  maxJsonDepth: number;
}

export function endpointPath(endpointId: string): string {
  return `/v1/webhook-deliveries/${endpointId}`;
}

export function presentWebhook(record: WebhookRecord, publicUrl?: string) {
  const path = endpointPath(record.endpointId);
  return {
    apiVersion: API_VERSION,
    kind: 'Webhook',
    metadata: {
      name: record.name,
      namespace: record.namespace,
      uid: record.id,
      generation: record.generation,
      createdAt: record.createdAt.toISOString(),
      updatedAt: record.updatedAt.toISOString(),
    },
    spec: record.spec,
    status: {
      endpointPath: path,
      ...(publicUrl ? { url: `${publicUrl.replace(/\/$/, '')}${path}` } : {}),
      verified: record.verified,
      lastDeliveryAt: record.lastDeliveryAt?.toISOString() ?? null,
      lastError: record.lastError,
      lastErrorAt: record.lastErrorAt?.toISOString() ?? null,
      deliveriesAccepted: record.deliveriesAccepted,
      deliveriesRejected: record.deliveriesRejected,
    },
  };
}

export function presentSecret(record: SecretRecord) {
  return {
    apiVersion: API_VERSION,
    kind: 'Secret',
    metadata: {
      name: record.name,
      namespace: record.namespace,
      createdAt: record.createdAt.toISOString(),
      updatedAt: record.updatedAt.toISOString(),
    },
    status: { keys: Object.keys(record.data).sort() },
  };
}

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
  };
}

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

export function createManagementRouter(deps: ManagementDeps): express.Router {
  const { store } = deps;
  const router = express.Router();
  router.use(jsonBody(deps.maxJsonDepth));

  const route = managementRoute(deps.logger);

  router.get('/v1/profiles', (_req, res) => {
    const describe = (p: Profile, signs: boolean) => ({
      name: p.name,
      description: p.description,
      // false for `custom`: it verifies nothing itself and needs authenticating spec.conditions.
      verifiesSignature: signs,
      defaultDedupWindowSeconds: p.defaultDedupWindowSeconds,
      defaultTimestampToleranceSeconds: p.defaultTimestampToleranceSeconds ?? null,
    });
    res.json({
      items: [...profiles.map((p) => describe(p, true)), ...conditionOnlyProfiles.map((p) => describe(p, false))],
    });
  });

  router.put(
    '/v1/secrets/:name',
    route(async (req, res) => {
      const { resource, namespace, name } = parseResource(secretResource, req, 'Secret');
      const decoded: Record<string, string> = {};
      for (const [key, value] of Object.entries(resource.spec.data ?? {}))
        decoded[key] = Buffer.from(value, 'base64').toString('utf8');
      const nul = findNulCharacter(decoded, 'spec.data');
      if (nul !== null)
        throw new BadRequest(
          'invalid_resource',
          `Invalid Secret: ${nul} decodes to a NUL byte, which cannot be stored.`,
        );
      const data: Record<string, string> = { ...decoded, ...resource.spec.stringData };
      const existed = (await store.secrets.get(namespace, name)) !== null;
      const record = await store.secrets.put(namespace, name, data);
      deps.logger.info('secret applied', { namespace, name, keys: Object.keys(data).length });
      res.status(existed ? 200 : 201).json(presentSecret(record));
    }),
  );
  router.get(
    '/v1/secrets',
    route(async (req, res) => {
      const namespace = typeof req.query.namespace === 'string' ? namespaceOf(req) : undefined;
      res.json({ items: (await store.secrets.list(namespace)).map(presentSecret) });
    }),
  );
  router.get(
    '/v1/secrets/:name',
    route(async (req, res) => {
      const record = await store.secrets.get(namespaceOf(req), nameOf(req));
      if (!record)
        return sendError(res, 404, 'not_found', `Secret ${nameOf(req)} not found in namespace ${namespaceOf(req)}.`);
      res.json(presentSecret(record));
    }),
  );
  router.delete(
    '/v1/secrets/:name',
    route(async (req, res) => {
      const deleted = await store.secrets.delete(namespaceOf(req), nameOf(req));
      if (!deleted)
        return sendError(res, 404, 'not_found', `Secret ${nameOf(req)} not found in namespace ${namespaceOf(req)}.`);
      res.json({ deleted: true });
    }),
  );

  router.put(
    '/v1/webhooks/:name',
    route(async (req, res) => {
      const { namespace, name } = parseResource(webhookResource, req, 'Webhook');
      // Store the spec as written (durations stay "24h"); it is parsed again where it is used.
      const { webhook, created } = await store.webhooks.apply(
        namespace,
        name,
        (req.body as { spec: Record<string, unknown> }).spec,
      );
      deps.logger.info('webhook applied', { namespace, name, created, generation: webhook.generation });
      res.status(created ? 201 : 200).json(presentWebhook(webhook, deps.publicUrl));
    }),
  );
  router.get(
    '/v1/webhooks',
    route(async (req, res) => {
      const namespace = typeof req.query.namespace === 'string' ? namespaceOf(req) : undefined;
      res.json({ items: (await store.webhooks.list(namespace)).map((w) => presentWebhook(w, deps.publicUrl)) });
    }),
  );
  router.get(
    '/v1/webhooks/:name',
    route(async (req, res) => {
      const record = await store.webhooks.get(namespaceOf(req), nameOf(req));
      if (!record)
        return sendError(res, 404, 'not_found', `Webhook ${nameOf(req)} not found in namespace ${namespaceOf(req)}.`);
      res.json(presentWebhook(record, deps.publicUrl));
    }),
  );
  router.delete(
    '/v1/webhooks/:name',
    route(async (req, res) => {
      const deleted = await store.webhooks.delete(namespaceOf(req), nameOf(req));
      if (!deleted)
        return sendError(res, 404, 'not_found', `Webhook ${nameOf(req)} not found in namespace ${namespaceOf(req)}.`);
      res.json({ deleted: true });
    }),
  );
  router.get(
    '/v1/webhooks/:name/deliveries',
    route(async (req, res) => {
      const record = await store.webhooks.get(namespaceOf(req), nameOf(req));
      if (!record)
        return sendError(res, 404, 'not_found', `Webhook ${nameOf(req)} not found in namespace ${namespaceOf(req)}.`);
      const page = await store.deliveries.list(record.id, pageOf(req));
      res.json({ items: page.items.map(presentDelivery), nextCursor: page.nextCursor });
    }),
  );

  router.get(
    '/v1/webhooks/:name/waits',
    route(async (req, res) => {
      const record = await store.webhooks.get(namespaceOf(req), nameOf(req));
      if (!record)
        return sendError(res, 404, 'not_found', `Webhook ${nameOf(req)} not found in namespace ${namespaceOf(req)}.`);
      const { limit, cursor } = pageOf(req);
      const page = await store.waits.listOpen(record.id, { limit, ...(cursor ? { after: cursor } : {}) });
      res.json({ items: page.items.map(presentWait), nextCursor: page.nextCursor });
    }),
  );

  router.use(jsonBodyErrors(deps.maxJsonDepth));
  return router;
}
