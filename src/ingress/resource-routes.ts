/**
 * `PUT|GET|DELETE /v1/<plural>[/{name}]` for every resource kind in the registry: the same
 * apply, read, list and delete for each, through the kind's repository and presenter. Routes
 * that only one kind has live beside it (webhook-routes.ts, subscription-routes.ts).
 */
import express from 'express';
import type { Logger } from '../logger';
import { notFoundMessage, RESOURCE_KINDS, type AnyResourceKind } from '../resources/kinds';
import type { PresentContext } from '../resources/kinds/define-kind';
import type { Store } from '../store/types';
import { sendError } from './http/http-errors';
import { callerReaches } from './http/api-access';
import { managementRoute, nameOf, namespaceOf, parseResource, resolveNamespace } from './http/route-kit';

export interface ResourceRoutesDeps {
  store: Store;
  logger: Logger;
  /** Public base URL, to show full endpoint URLs in `status.url`. */
  publicUrl?: string;
}

/** The four routes of one kind. */
function addKindRoutes(router: express.Router, kind: AnyResourceKind, deps: ResourceRoutesDeps): void {
  const repository = kind.repository(deps.store);
  const context: PresentContext = deps.publicUrl ? { publicUrl: deps.publicUrl } : {};
  const route = managementRoute(deps.logger);
  const collection = `/v1/${kind.words.plural}`;
  const one = `${collection}/:name`;

  router.put(
    one,
    route(async (req, res) => {
      const { resource, namespace, name } = parseResource(kind.schema, req, kind.kind);
      const written = (req.body as { spec?: unknown }).spec;
      const { record, created } = await repository.apply(namespace, name, resource, written);
      deps.logger.info(`${kind.words.singular} applied`, { namespace, name, created });
      res.status(created ? 201 : 200).json(kind.present(record, context));
    }),
  );
  router.get(
    collection,
    route(async (req, res) => {
      // A listing shows only what the caller's token reaches.
      const namespace = typeof req.query.namespace === 'string' ? resolveNamespace(req) : undefined;
      const records = namespace !== undefined && !callerReaches(res, namespace) ? [] : await repository.list(namespace);
      const items = records
        .map((record) => kind.present(record, context) as { metadata: { namespace: string } })
        .filter((view) => callerReaches(res, view.metadata.namespace));
      res.json({ items });
    }),
  );
  router.get(
    one,
    route(async (req, res) => {
      const [namespace, name] = [namespaceOf(req), nameOf(req)];
      const record = await repository.get(namespace, name);
      if (!record) return sendError(res, 404, 'not_found', notFoundMessage(kind, namespace, name));
      res.json(kind.present(record, context));
    }),
  );
  router.delete(
    one,
    route(async (req, res) => {
      const [namespace, name] = [namespaceOf(req), nameOf(req)];
      if (!(await repository.delete(namespace, name)))
        return sendError(res, 404, 'not_found', notFoundMessage(kind, namespace, name));
      res.json({ deleted: true });
    }),
  );
}

/** Adds the generic routes of every kind in the registry; `router` parses JSON bodies already. */
export function addResourceRoutes(router: express.Router, deps: ResourceRoutesDeps): void {
  for (const kind of RESOURCE_KINDS) addKindRoutes(router, kind, deps);
}
