/**
 * The management API under `/v1/` (admin token required): Secrets and Webhooks as declarative
 * resources, and each webhook's delivery history. Secret values go in and never come out.
 */
import express, { type Request, type Response } from 'express';
import type { z } from 'zod';
import type { Logger } from '../logger';
import {
  API_VERSION,
  DEFAULT_NAMESPACE,
  describeZodError,
  resourceName,
  secretResource,
  webhookResource,
} from '../resources/schemas';
import type { DeliveryRecord, SecretRecord, Store, WebhookRecord } from '../store/types';
import type { WaitRecord } from '../store/waits-repository';
import { conditionOnlyProfiles, profiles, type Profile } from '../verify';
import { TempohookError } from '../errors';
import { sendError } from './http-errors';

export interface ManagementDeps {
  store: Store;
  logger: Logger;
  /** Public base URL, to show full endpoint URLs in `status.url`. */
  publicUrl?: string;
}

const MAX_PAGE = 200;

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

export class BadRequest extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export function namespaceOf(req: Request, bodyNamespace?: string): string {
  const query = typeof req.query.namespace === 'string' ? req.query.namespace : undefined;
  if (query && bodyNamespace && query !== bodyNamespace) {
    throw new BadRequest(
      'namespace_mismatch',
      `metadata.namespace "${bodyNamespace}" differs from ?namespace=${query}; make them equal or drop one.`,
    );
  }
  const namespace = query ?? bodyNamespace ?? DEFAULT_NAMESPACE;
  if (!resourceName.safeParse(namespace).success)
    throw new BadRequest(
      'invalid_namespace',
      `namespace "${namespace}" is not a valid name (lower-case letters, digits, "-").`,
    );
  return namespace;
}

export function nameOf(req: Request): string {
  const name = String(req.params.name);
  if (!resourceName.safeParse(name).success)
    throw new BadRequest(
      'invalid_name',
      `"${name}" is not a valid name (lower-case letters, digits, "-", at most 63).`,
    );
  return name;
}

/** Parses a resource body; the path names the resource, so metadata.name may be omitted but must match. */
export function parseResource<S extends z.ZodType>(
  schema: S,
  req: Request,
  kind: string,
): { resource: z.infer<S>; namespace: string; name: string } {
  const name = nameOf(req);
  const body = (req.body ?? {}) as Record<string, unknown>;
  if (typeof body !== 'object' || Array.isArray(body))
    throw new BadRequest('invalid_resource', `The body must be a ${kind} resource object.`);
  const metadata = (body.metadata ?? {}) as Record<string, unknown>;
  if (metadata.name !== undefined && metadata.name !== name) {
    throw new BadRequest(
      'name_mismatch',
      `metadata.name ${JSON.stringify(metadata.name)} differs from the URL's "${name}".`,
    );
  }
  const candidate = { apiVersion: API_VERSION, kind, ...body, metadata: { ...metadata, name } };
  const parsed = schema.safeParse(candidate);
  if (!parsed.success) {
    const described = describeZodError(parsed.error);
    throw new BadRequest('invalid_resource', `Invalid ${kind}: ${described.message}`, { issues: described.issues });
  }
  return { resource: parsed.data, namespace: namespaceOf(req, metadata.namespace as string | undefined), name };
}

/** Wraps a management handler: client mistakes become 4xx, anything else a 503 without internals. */
export function managementRoute(logger: Logger) {
  return (fn: (req: Request, res: Response) => Promise<void>) =>
    async (req: Request, res: Response): Promise<void> => {
      try {
        await fn(req, res);
      } catch (err) {
        if (err instanceof BadRequest) return sendError(res, 400, err.code, err.message, { details: err.details });
        if (err instanceof TempohookError && err.status < 500) return sendError(res, err.status, err.code, err.message);
        logger.error('management API failure', { path: req.path, method: req.method, error: (err as Error).message });
        sendError(res, 503, 'store_unavailable', 'The store did not answer; retry later.', {
          headers: { 'Retry-After': '5' },
        });
      }
    };
}

/** `?limit=` clamped to 1..200 (default 50) and `?cursor=`. */
export function pageOf(req: Request): { limit: number; cursor?: string } {
  const limit = Math.min(Math.max(Math.floor(Number(req.query.limit ?? 50)) || 50, 1), MAX_PAGE);
  const cursor = typeof req.query.cursor === 'string' ? req.query.cursor : undefined;
  return { limit, ...(cursor ? { cursor } : {}) };
}

export function createManagementRouter(deps: ManagementDeps): express.Router {
  const { store } = deps;
  const router = express.Router();
  router.use(express.json({ limit: '1mb' }));

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
      const data: Record<string, string> = {};
      for (const [key, value] of Object.entries(resource.spec.data ?? {}))
        data[key] = Buffer.from(value, 'base64').toString('utf8');
      Object.assign(data, resource.spec.stringData ?? {});
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
      const limit = Math.min(Math.max(Math.floor(Number(req.query.limit ?? 50)) || 50, 1), MAX_PAGE);
      const cursor = typeof req.query.cursor === 'string' ? req.query.cursor : undefined;
      const page = await store.waits.listOpen(record.id, { limit, ...(cursor ? { after: cursor } : {}) });
      res.json({ items: page.items.map(presentWait), nextCursor: page.nextCursor });
    }),
  );

  router.use((err: unknown, _req: Request, res: Response, next: express.NextFunction) => {
    const parseError = err as { type?: string; status?: number };
    if (parseError.type === 'entity.parse.failed')
      return sendError(res, 400, 'invalid_json', 'The request body is not valid JSON.');
    if (parseError.type === 'entity.too.large')
      return sendError(res, 413, 'body_too_large', 'Resource bodies are limited to 1 MiB.');
    next(err);
  });
  return router;
}
