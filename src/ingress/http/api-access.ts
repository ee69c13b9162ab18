/**
 * The management API's gate, in front of every `/v1` handler:
 * - `authenticateApi`: the bearer is TEMPOHOOK_ADMIN_TOKEN (constant-time compare) or an API
 *   token, looked up by its hash on every request (a revoked or expired token is 401 at once on
 *   every replica); 401 otherwise, 503 when the store cannot be asked.
 * - `authorizeApi`: the route's rule (access-policy.ts) against the token's role and namespaces;
 *   and the audit log: a call that changes something (any method but GET/HEAD) is recorded,
 *   allowed or refused, with its answer's status, before that answer is sent.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from '../../logger';
import { looksLikeApiToken } from '../../store/api-tokens-repository';
import type { Store } from '../../store/types';
import {
  ADMIN_PRINCIPAL,
  decide,
  matchRoute,
  reaches,
  resourceOf,
  UNKNOWN_ROUTE_RULE,
  type Principal,
} from '../access-policy';
import { sendError } from './http-errors';
import { requestIdOf } from './request-id';
import { BadRequest, resolveNamespace } from './route-kit';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The caller of a `/v1` request (set by `authenticateApi`). */
export function principalOf(res: Response): Principal | undefined {
  return (res.locals as { principal?: Principal }).principal;
}

/** True when the caller reaches `namespace` (false when there is no caller: fail closed). */
export function callerReaches(res: Response, namespace: string): boolean {
  const principal = principalOf(res);
  return principal !== undefined && reaches(principal, namespace);
}

function unauthorized(res: Response): void {
  res.setHeader('WWW-Authenticate', 'Bearer realm="tempohook"');
  sendError(
    res,
    401,
    'unauthorized',
    'Send an API token (thk_…) or TEMPOHOOK_ADMIN_TOKEN as "Authorization: Bearer <token>".',
  );
}

/** Authenticates `/v1` requests; sets the principal for `authorizeApi` and the handlers. */
export function authenticateApi(deps: { adminToken: string; store: Store; logger: Logger }): RequestHandler {
  const expected = digest(deps.adminToken);
  return async (req, res, next) => {
    const match = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '');
    const given = match?.[1]?.trim();
    if (!given) return unauthorized(res);
    // Hashing both sides gives equal lengths, so the compare is constant-time and never throws.
    if (timingSafeEqual(digest(given), expected)) {
      res.locals.principal = ADMIN_PRINCIPAL;
      return next();
    }
    if (!looksLikeApiToken(given)) return unauthorized(res);
    let token;
    try {
      token = await deps.store.apiTokens.authenticate(given);
    } catch (err) {
      deps.logger.error('store unavailable to authenticate an API token', { error: (err as Error).message });
      return sendError(res, 503, 'store_unavailable', 'The store is unavailable; retry later.', {
        headers: { 'Retry-After': '5' },
      });
    }
    if (!token) return unauthorized(res);
    const principal: Principal = {
      name: token.name,
      role: token.role,
      namespaces: token.namespaces,
      expiresAt: token.expiresAt,
    };
    res.locals.principal = principal;
    next();
  };
}

/** The namespace a request acts in, read as its handler reads it (route-kit's `resolveNamespace`). */
function requestNamespace(req: Request, source: string): string | undefined {
  if (source === 'namespace') return resolveNamespace(req);
  if (source === 'namespace-or-body') {
    const body = req.body as { metadata?: { namespace?: unknown } } | undefined;
    const metadata = body && typeof body === 'object' && !Array.isArray(body) ? (body.metadata ?? {}) : {};
    return resolveNamespace(req, metadata.namespace as string | undefined);
  }
  return undefined;
}

/**
 * Authorizes `/v1` requests by the route table, after `authenticateApi` and the JSON body parser
 * (a PUT's namespace may be in its body); records changing calls in the audit log.
 */
export function authorizeApi(deps: { store: Store; logger: Logger }): RequestHandler {
  return (req, res, next) => {
    const principal = principalOf(res);
    if (!principal) return unauthorized(res);
    const path = `/v1${req.path === '/' ? '' : req.path}`;
    const matched = matchRoute(req.method, path);
    const required = matched?.rule ?? UNKNOWN_ROUTE_RULE;
    let namespace: string | undefined;
    try {
      namespace = requestNamespace(req, required.namespace);
    } catch (err) {
      if (err instanceof BadRequest) return sendError(res, 400, err.code, err.message, { details: err.details });
      throw err;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD')
      auditOnAnswer(req, res, deps, {
        actor: principal.name,
        method: req.method,
        route: matched?.rule.path ?? path,
        resource: matched ? resourceOf(path, matched.params, req.body) : null,
        namespace: namespace ?? null,
      });
    const verdict = decide(principal, req.method, required, namespace);
    if (!verdict.allowed) return sendError(res, verdict.status, verdict.code, verdict.message);
    next();
  };
}

/**
 * Records the call when its answer is ended, and sends the answer once the row is written (a
 * client that saw the answer finds the row); a failed write is logged and the answer still sent.
 */
function auditOnAnswer(
  req: Request,
  res: Response,
  deps: { store: Store; logger: Logger },
  entry: { actor: string; method: string; route: string; resource: string | null; namespace: string | null },
): void {
  const end = res.end.bind(res) as (...args: unknown[]) => Response;
  let recorded = false;
  res.end = ((...args: unknown[]) => {
    if (recorded) return end(...args);
    recorded = true;
    deps.store.auditLog
      .record({ ...entry, status: res.statusCode, requestId: requestIdOf(req, res) })
      .catch((err: unknown) =>
        deps.logger.error('audit log write failed', {
          ...entry,
          status: res.statusCode,
          error: (err as Error).message,
        }),
      )
      .finally(() => end(...args));
    return res;
  }) as Response['end'];
}
