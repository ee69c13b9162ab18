/**
 * Access to the management API: `GET /v1/whoami` (any valid token: who it is), API tokens
 * (`/v1/tokens`: created with their value shown once, listed, revoked) and the audit log
 * (`GET /v1/audit`). Who may call each is in access-policy.ts.
 */
import express from 'express';
import { z } from 'zod';
import type { Logger } from '../logger';
import { parseDurationSeconds } from '../resources/duration';
import { resourceName } from '../resources/schemas';
import { API_TOKEN_ROLES, type ApiTokenRecord } from '../store/api-tokens-repository';
import type { AuditEntryRecord } from '../store/audit-log-repository';
import type { Store } from '../store/types';
import { ADMIN_PRINCIPAL, type Principal } from './access-policy';
import { instant } from './delivery-search-query';
import { principalOf } from './http/api-access';
import { sendError } from './http/http-errors';
import { jsonBody, jsonBodyErrors } from './http/json-body';
import { BadRequest, managementRoute, pageOf } from './http/route-kit';

export interface TokenRoutesDeps {
  store: Store;
  logger: Logger;
  /** Deepest JSON body accepted (TEMPOHOOK_MAX_JSON_DEPTH). */
  maxJsonDepth: number;
  now?: () => Date;
}

/** `["*"]` in the API: every namespace. */
export const ALL_NAMESPACES = '*';

/** A token (or the admin token) as the API shows it; never its value. */
export function presentPrincipal(principal: Principal) {
  return {
    name: principal.name,
    role: principal.role,
    namespaces: principal.namespaces === null ? [ALL_NAMESPACES] : [...principal.namespaces],
    expiresAt: principal.expiresAt?.toISOString() ?? null,
  };
}
export type WhoamiView = ReturnType<typeof presentPrincipal>;

/** An API token as `GET /v1/tokens` shows it: its prefix, never its value or hash. */
export function presentToken(record: ApiTokenRecord, now: Date) {
  return {
    ...presentPrincipal(record),
    prefix: record.prefix,
    expired: record.expiresAt !== null && record.expiresAt <= now,
    createdBy: record.createdBy,
    createdAt: record.createdAt.toISOString(),
  };
}
export type TokenView = ReturnType<typeof presentToken>;

/** One audit log row as `GET /v1/audit` shows it. */
export function presentAuditEntry(entry: AuditEntryRecord) {
  return {
    id: entry.id,
    at: entry.at.toISOString(),
    token: entry.actor,
    method: entry.method,
    route: entry.route,
    resource: entry.resource,
    namespace: entry.namespace,
    status: entry.status,
    requestId: entry.requestId,
  };
}
export type AuditEntryView = ReturnType<typeof presentAuditEntry>;

const tokenName = resourceName.refine((name) => name !== ADMIN_PRINCIPAL.name, {
  message: `"${ADMIN_PRINCIPAL.name}" is the name of TEMPOHOOK_ADMIN_TOKEN in the audit log; pick another`,
});

/** The body of `POST /v1/tokens`. */
export const createTokenBody = z
  .object({
    name: tokenName,
    role: z.enum(API_TOKEN_ROLES, { message: `must be one of ${API_TOKEN_ROLES.join(', ')}` }),
    namespaces: z
      .array(z.union([z.literal(ALL_NAMESPACES), resourceName]))
      .min(1, `name at least one namespace, or ["${ALL_NAMESPACES}"] for every namespace`)
      .max(100)
      .refine((list) => !list.includes(ALL_NAMESPACES) || list.length === 1, {
        message: `"${ALL_NAMESPACES}" (every namespace) stands alone`,
      }),
    /** A duration from now (`30d`, `12h`). */
    expiresIn: z
      .union([z.string(), z.number()])
      .refine((v) => (parseDurationSeconds(v) ?? 0) > 0, 'must be a duration like "12h" or "30d"')
      .optional(),
    /** An instant (RFC 3339). */
    expiresAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()
  .refine((body) => body.expiresIn === undefined || body.expiresAt === undefined, {
    message: 'give expiresIn or expiresAt, not both',
  });

/** Adds `GET /v1/whoami`, `GET|POST /v1/tokens`, `GET|DELETE /v1/tokens/{name}` and `GET /v1/audit`. */
export function createTokenRouter(deps: TokenRoutesDeps): express.Router {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  const router = express.Router();
  router.use('/v1/tokens', jsonBody(deps.maxJsonDepth));
  const route = managementRoute(deps.logger);

  router.get('/v1/whoami', (_req, res) => {
    const principal = principalOf(res);
    if (!principal) return sendError(res, 401, 'unauthorized', 'No token.');
    res.json(presentPrincipal(principal));
  });

  router.get(
    '/v1/tokens',
    route(async (_req, res) => {
      const at = now();
      res.json({ items: (await store.apiTokens.list()).map((record) => presentToken(record, at)) });
    }),
  );
  router.post(
    '/v1/tokens',
    route(async (req, res) => {
      const parsed = createTokenBody.safeParse(req.body ?? {});
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const field = issue.path.join('.') || 'body';
        throw new BadRequest('invalid_token', `${field}: ${issue.message}.`, { field });
      }
      const body = parsed.data;
      const at = now();
      const expiresAt =
        body.expiresIn !== undefined
          ? new Date(at.getTime() + parseDurationSeconds(body.expiresIn)! * 1000)
          : body.expiresAt !== undefined
            ? new Date(body.expiresAt)
            : null;
      if (expiresAt && expiresAt <= at) throw new BadRequest('invalid_token', 'expiresAt: must be in the future.');
      const { record, token } = await store.apiTokens.create({
        name: body.name,
        role: body.role,
        namespaces: body.namespaces.includes(ALL_NAMESPACES) ? null : [...new Set(body.namespaces)].sort(),
        expiresAt,
        createdBy: principalOf(res)?.name ?? ADMIN_PRINCIPAL.name,
      });
      deps.logger.info('API token created', { name: record.name, role: record.role, prefix: record.prefix });
      // The only time the value leaves the ingress.
      res.status(201).json({ ...presentToken(record, at), token });
    }),
  );
  router.get(
    '/v1/tokens/:name',
    route(async (req, res) => {
      const name = String(req.params.name);
      const record = await store.apiTokens.get(name);
      if (!record) return sendError(res, 404, 'not_found', `No token named ${name}.`);
      res.json(presentToken(record, now()));
    }),
  );
  router.delete(
    '/v1/tokens/:name',
    route(async (req, res) => {
      const name = String(req.params.name);
      if (!(await store.apiTokens.delete(name))) return sendError(res, 404, 'not_found', `No token named ${name}.`);
      deps.logger.info('API token revoked', { name });
      res.json({ deleted: true });
    }),
  );

  const auditQuery = z
    .object({
      token: z.string().min(1).max(100),
      namespace: resourceName,
      since: instant(now),
      until: instant(now),
      limit: z.unknown(),
      cursor: z.unknown(),
    })
    .partial()
    .strict();
  router.get(
    '/v1/audit',
    route(async (req, res) => {
      const parsed = auditQuery.safeParse(req.query);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const param = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : String(issue.path[0] ?? 'query');
        const message =
          issue.code === 'unrecognized_keys'
            ? 'unknown parameter; filter with token, namespace, since, until (and page with limit, cursor)'
            : issue.message;
        throw new BadRequest('invalid_query', `?${param}: ${message}.`, { parameter: param });
      }
      const { token, namespace, since, until } = parsed.data;
      const page = await store.auditLog.list(pageOf(req), {
        ...(token !== undefined ? { actor: token } : {}),
        ...(namespace !== undefined ? { namespace } : {}),
        ...(since ? { since } : {}),
        ...(until ? { until } : {}),
      });
      res.json({ items: page.items.map(presentAuditEntry), nextCursor: page.nextCursor });
    }),
  );
  router.use('/v1/tokens', jsonBodyErrors(deps.maxJsonDepth));
  return router;
}
