/**
 * Who may call which management route: every `/v1` route (method and path pattern) with the
 * least role it needs and where the namespace it acts in comes from. The one place access is
 * decided (http/api-access.ts enforces it before any handler runs); a route missing here needs
 * an all-namespace admin (fail closed), and test/ingress/access-policy.test.ts fails for a
 * mounted route that is missing.
 *
 * Roles: `read` (get, list, delivery log and payloads, waits, whoami) < `operate` (also replay,
 * test, redeliver, enable) < `admin` (also apply and delete resources). Tokens and the audit log
 * belong to no namespace: only an admin that reaches every namespace manages them, so a team's
 * admin cannot mint itself a wider token.
 */
import { RESOURCE_KINDS } from '../resources/kinds';
import { API_TOKEN_ROLES, type ApiTokenRole } from '../store/api-tokens-repository';

export type Role = ApiTokenRole;

/** Who is calling: TEMPOHOOK_ADMIN_TOKEN (`admin`, every namespace) or an API token. */
export interface Principal {
  /** The token's name; `admin` for TEMPOHOOK_ADMIN_TOKEN. */
  name: string;
  role: Role;
  /** The namespaces it reaches; null: every namespace. */
  namespaces: readonly string[] | null;
  expiresAt: Date | null;
}

/** The name the admin token goes by in the audit log and `GET /v1/whoami`. */
export const ADMIN_PRINCIPAL: Principal = { name: 'admin', role: 'admin', namespaces: null, expiresAt: null };

/**
 * Where a route's namespace comes from:
 * - `namespace`: `?namespace=` (default `default`), as `namespaceOf` reads it;
 * - `namespace-or-body`: the same, or the body's `metadata.namespace` (PUT of a resource);
 * - `list`: a listing; it shows only what the token reaches (`?namespace=` narrows);
 * - `none`: nothing namespaced (profiles, whoami);
 * - `all`: every namespace (tokens, audit): the token must reach all of them.
 */
export type NamespaceSource = 'namespace' | 'namespace-or-body' | 'list' | 'none' | 'all';

export type RouteMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

export interface RouteRule {
  method: RouteMethod;
  /** Express pattern, e.g. `/v1/webhooks/:name/deliveries`. */
  path: string;
  role: Role;
  namespace: NamespaceSource;
}

const rule = (method: RouteMethod, path: string, role: Role, namespace: NamespaceSource): RouteRule => ({
  method,
  path,
  role,
  namespace,
});

/** Every `/v1` route. */
export const ROUTE_RULES: readonly RouteRule[] = [
  rule('GET', '/v1/whoami', 'read', 'none'),
  rule('GET', '/v1/profiles', 'read', 'none'),
  // The routes every resource kind has (resource-routes.ts).
  ...RESOURCE_KINDS.flatMap(({ words: { plural } }) => [
    rule('GET', `/v1/${plural}`, 'read', 'list'),
    rule('GET', `/v1/${plural}/:name`, 'read', 'namespace'),
    rule('PUT', `/v1/${plural}/:name`, 'admin', 'namespace-or-body'),
    rule('DELETE', `/v1/${plural}/:name`, 'admin', 'namespace'),
  ]),
  // Webhooks (webhook-routes.ts) and their replays.
  rule('GET', '/v1/webhooks/:name/deliveries', 'read', 'namespace'),
  rule('GET', '/v1/webhooks/:name/waits', 'read', 'namespace'),
  rule('GET', '/v1/deliveries/:deliveryId', 'read', 'namespace'),
  rule('POST', '/v1/deliveries/:deliveryId/replay', 'operate', 'namespace'),
  rule('POST', '/v1/webhooks/:name/replay', 'operate', 'namespace'),
  rule('GET', '/v1/webhooks/:name/replays', 'read', 'namespace'),
  rule('GET', '/v1/webhooks/:name/replays/:id', 'read', 'namespace'),
  rule('POST', '/v1/webhooks/:name/replays/:id/cancel', 'operate', 'namespace'),
  // Subscriptions (subscription-routes.ts).
  rule('GET', '/v1/subscriptions/:name/deliveries', 'read', 'namespace'),
  rule('POST', '/v1/subscriptions/:name/enable', 'operate', 'namespace'),
  rule('POST', '/v1/subscriptions/:name/test', 'operate', 'namespace'),
  rule('POST', '/v1/subscriptions/:name/deliveries/:id/redeliver', 'operate', 'namespace'),
  // Tokens and the audit log (token-routes.ts).
  rule('GET', '/v1/tokens', 'admin', 'all'),
  rule('POST', '/v1/tokens', 'admin', 'all'),
  rule('GET', '/v1/tokens/:name', 'admin', 'all'),
  rule('DELETE', '/v1/tokens/:name', 'admin', 'all'),
  rule('GET', '/v1/audit', 'admin', 'all'),
];

/** What an unknown route needs: an admin that reaches every namespace. */
export const UNKNOWN_ROUTE_RULE: Omit<RouteRule, 'method' | 'path'> = { role: 'admin', namespace: 'all' };

/** True when `role` includes everything `needed` allows. */
export function roleAllows(role: Role, needed: Role): boolean {
  return API_TOKEN_ROLES.indexOf(role) >= API_TOKEN_ROLES.indexOf(needed);
}

/** True when the principal reaches `namespace`. */
export function reaches(principal: Principal, namespace: string): boolean {
  return principal.namespaces === null || principal.namespaces.includes(namespace);
}

export interface MatchedRoute {
  rule: RouteRule;
  /** The path's parameters, decoded. */
  params: Record<string, string>;
}

const compiled = ROUTE_RULES.map((r) => ({ rule: r, segments: r.path.split('/').slice(1) }));

/**
 * The rule of a request, matched as Express matches routes (static segments case-insensitive, a
 * trailing slash allowed, a parameter one non-empty segment); HEAD is GET. Undefined: unknown.
 */
export function matchRoute(method: string, path: string): MatchedRoute | undefined {
  const wanted = method === 'HEAD' ? 'GET' : method;
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const parts = trimmed.split('/').slice(1);
  for (const { rule: candidate, segments } of compiled) {
    if (candidate.method !== wanted || segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const matched = segments.every((segment, i) => {
      const part = parts[i]!;
      if (!segment.startsWith(':')) return segment.toLowerCase() === part.toLowerCase();
      if (part === '') return false;
      try {
        params[segment.slice(1)] = decodeURIComponent(part);
      } catch {
        return false;
      }
      return true;
    });
    if (matched) return { rule: candidate, params };
  }
  return undefined;
}

/** What a request acted on, for the audit log: `webhooks/github`, `deliveries/<id>`, `tokens/ci`. */
export function resourceOf(path: string, params: Record<string, string>, body: unknown): string | null {
  const collection = path.split('/')[2];
  if (!collection) return null;
  const first = Object.values(params)[0];
  const named = (body as { name?: unknown } | null | undefined)?.name;
  const name = first ?? (typeof named === 'string' ? named : undefined);
  return name === undefined ? collection : `${collection}/${name}`;
}

export type AccessVerdict =
  { allowed: true } | { allowed: false; status: 403 | 404; code: 'forbidden' | 'not_found'; message: string };

/**
 * Decides a request: the role first (403), then the namespace: a route in a namespace the token
 * does not reach is 404 for a read (its existence is not revealed) and 403 for anything else.
 */
export function decide(
  principal: Principal,
  method: string,
  required: Pick<RouteRule, 'role' | 'namespace'>,
  namespace: string | undefined,
): AccessVerdict {
  if (!roleAllows(principal.role, required.role))
    return {
      allowed: false,
      status: 403,
      code: 'forbidden',
      message: `Token "${principal.name}" has role ${principal.role}; this needs ${required.role}.`,
    };
  if (required.namespace === 'all' && principal.namespaces !== null)
    return {
      allowed: false,
      status: 403,
      code: 'forbidden',
      message: `Token "${principal.name}" reaches only some namespaces; this needs an admin token of every namespace.`,
    };
  if (namespace !== undefined && !reaches(principal, namespace)) return namespaceDenied(principal, method, namespace);
  return { allowed: true };
}

/** The answer to a request in a namespace the token does not reach. */
export function namespaceDenied(
  principal: Principal,
  method: string,
  namespace: string,
): Extract<AccessVerdict, { allowed: false }> {
  return method === 'GET' || method === 'HEAD'
    ? { allowed: false, status: 404, code: 'not_found', message: `Not found in namespace ${namespace}.` }
    : {
        allowed: false,
        status: 403,
        code: 'forbidden',
        message: `Token "${principal.name}" does not reach namespace ${namespace}.`,
      };
}
