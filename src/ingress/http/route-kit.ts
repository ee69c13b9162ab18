/**
 * What every management route shares: the namespace and name of a request, a resource body
 * checked against its schema (NUL-free), a page request, and `managementRoute`, which turns client
 * mistakes and values the database refuses into 4xx, an unreachable store or Temporal into 503.
 */
import type { Request, Response } from 'express';
import type { z } from 'zod';
import { TempohookError } from '../../errors';
import type { Logger } from '../../logger';
import { API_VERSION, DEFAULT_NAMESPACE, describeZodError, resourceName } from '../../resources/schemas';
import { findNulCharacter } from '../../resources/json-limits';
import { classifyStoreError } from '../../store/store-error';
import { MAX_PAGE_SIZE, type PageRequest } from '../../store/types';
import { grpcCode } from '../../temporal/errors';
import { sendError } from './http-errors';
import { namespaceDenied, reaches, type Principal } from '../access-policy';

/** A client mistake in a management request: `managementRoute` answers it with 400 and its code. */
export class BadRequest extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** The namespace a request names (`?namespace=`, or a body's `metadata.namespace`; default `default`), unchecked. */
export function resolveNamespace(req: Request, bodyNamespace?: string): string {
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

/**
 * The namespace a handler acts in. Checked against the caller's token once more (the route
 * table decided already; this keeps a handler from acting where the table did not look):
 * a namespace it does not reach is a 404 for a read, a 403 otherwise.
 */
export function namespaceOf(req: Request, bodyNamespace?: string): string {
  const namespace = resolveNamespace(req, bodyNamespace);
  const principal = (req.res?.locals as { principal?: Principal } | undefined)?.principal;
  if (principal && !reaches(principal, namespace)) {
    const denied = namespaceDenied(principal, req.method, namespace);
    throw new TempohookError(denied.code, denied.message, denied.status);
  }
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
  // PostgreSQL text and jsonb cannot hold U+0000: refuse it here, naming the field, not at the INSERT.
  const nul = findNulCharacter(body);
  if (nul !== null)
    throw new BadRequest(
      'invalid_resource',
      `Invalid ${kind}: ${nul} contains a NUL character (U+0000), which cannot be stored; remove it.`,
      { issues: [{ path: nul, message: 'contains a NUL character (U+0000)' }] },
    );
  const candidate = { apiVersion: API_VERSION, kind, ...body, metadata: { ...metadata, name } };
  const parsed = schema.safeParse(candidate);
  if (!parsed.success) {
    const described = describeZodError(parsed.error);
    throw new BadRequest('invalid_resource', `Invalid ${kind}: ${described.message}`, { issues: described.issues });
  }
  return { resource: parsed.data, namespace: namespaceOf(req, metadata.namespace as string | undefined), name };
}

/** gRPC codes of a Temporal that did not answer: the request may succeed later. */
const TEMPORAL_UNAVAILABLE_CODES = new Set([4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */]);

/**
 * Wraps a management handler: client mistakes (and values the database refuses) become 4xx, an
 * unreachable store or Temporal a 503, anything else a 500; 5xx bodies carry no internals.
 */
export function managementRoute(logger: Logger) {
  return (fn: (req: Request, res: Response) => Promise<void>) =>
    async (req: Request, res: Response): Promise<void> => {
      try {
        await fn(req, res);
      } catch (err) {
        if (err instanceof BadRequest) return sendError(res, 400, err.code, err.message, { details: err.details });
        if (err instanceof TempohookError && err.status < 500) return sendError(res, err.status, err.code, err.message);
        const failure = { path: req.path, method: req.method, error: (err as Error)?.message };
        const temporalCode = grpcCode(err);
        if (temporalCode !== undefined && TEMPORAL_UNAVAILABLE_CODES.has(temporalCode)) {
          logger.error('Temporal unavailable for a management call', failure);
          return sendError(res, 503, 'temporal_unavailable', 'Temporal is unavailable; retry later.', {
            headers: { 'Retry-After': '5' },
          });
        }
        const verdict = classifyStoreError(err, `the request body of ${req.method} ${req.path}`);
        if (verdict.kind === 'client') return sendError(res, verdict.status, verdict.code, verdict.message);
        logger.error(
          verdict.kind === 'unavailable' ? 'store unavailable for a management call' : 'management API failure',
          failure,
        );
        sendError(res, verdict.status, verdict.code, verdict.message, {
          ...(verdict.kind === 'unavailable' ? { headers: { 'Retry-After': '5' } } : {}),
        });
      }
    };
}

/** `?limit=` clamped to 1..MAX_PAGE_SIZE (default 50) and `?cursor=`. */
export function pageOf(req: Request): PageRequest {
  const limit = Math.min(Math.max(Math.floor(Number(req.query.limit ?? 50)) || 50, 1), MAX_PAGE_SIZE);
  const cursor = typeof req.query.cursor === 'string' ? req.query.cursor : undefined;
  return { limit, ...(cursor ? { cursor } : {}) };
}
