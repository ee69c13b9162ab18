/**
 * What every management route shares: the namespace and name of a request, a resource body
 * checked against its schema, a page request, and `managementRoute`, which turns client mistakes
 * into 4xx and anything else into a 503 without internals.
 */
import type { Request, Response } from 'express';
import type { z } from 'zod';
import { TempohookError } from '../../errors';
import type { Logger } from '../../logger';
import { API_VERSION, DEFAULT_NAMESPACE, describeZodError, resourceName } from '../../resources/schemas';
import { MAX_PAGE_SIZE, type PageRequest } from '../../store/types';
import { sendError } from './http-errors';

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

/** `?limit=` clamped to 1..MAX_PAGE_SIZE (default 50) and `?cursor=`. */
export function pageOf(req: Request): PageRequest {
  const limit = Math.min(Math.max(Math.floor(Number(req.query.limit ?? 50)) || 50, 1), MAX_PAGE_SIZE);
  const cursor = typeof req.query.cursor === 'string' ? req.query.cursor : undefined;
  return { limit, ...(cursor ? { cursor } : {}) };
}
