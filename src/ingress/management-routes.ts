/**
 * The management API under `/v1/` (admin token required): the signing profiles, every resource
 * kind's routes (resource-routes.ts) and what only webhooks have (webhook-routes.ts). Secret
 * values go in and never come out. Subscriptions' own routes need Temporal (subscription-routes.ts).
 */
import express from 'express';
import type { Logger } from '../logger';
import type { Store } from '../store/types';
import { conditionOnlyProfiles, profiles, type Profile } from '../verify';
import { jsonBody, jsonBodyErrors } from './http/json-body';
import { addResourceRoutes } from './resource-routes';
import { addWebhookRoutes } from './webhook-routes';

export interface ManagementDeps {
  store: Store;
  logger: Logger;
  /** Public base URL, to show full endpoint URLs in `status.url`. */
  publicUrl?: string;
  /** Deepest JSON body accepted (TEMPOHOOK_MAX_JSON_DEPTH). */
  maxJsonDepth: number;
  /** For links to runs in a delivery's detail. */
  temporal?: { namespace: string; uiUrl: string };
}

export function createManagementRouter(deps: ManagementDeps): express.Router {
  const router = express.Router();
  router.use(jsonBody(deps.maxJsonDepth));

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

  addResourceRoutes(router, deps);
  addWebhookRoutes(router, deps);

  router.use(jsonBodyErrors(deps.maxJsonDepth));
  return router;
}
