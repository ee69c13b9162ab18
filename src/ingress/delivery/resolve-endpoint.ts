/** Stage 1: the endpoint id in the URL names a webhook; its stored spec and profile must be usable. */
import { webhookSpec, type WebhookSpec } from '../../resources/schemas';
import type { WebhookRecord } from '../../store/types';
import { getProfile } from '../../verify';
import type { Logger } from '../../logger';
import type { ResolvedWebhook } from './context';
import type { IngressLookups } from './lookups';
import { next, storeFailure, type StageResult } from './verdict';

/**
 * Resolves endpoint ids for every delivery of one router, through the replica's lookup cache
 * (lookups.ts). The parsed spec is cached per webhook generation: parsing is the same work on
 * every delivery.
 */
export function createEndpointResolver(deps: { lookups: IngressLookups; logger: Logger }) {
  const specs = new Map<string, { generation: number; spec: WebhookSpec }>();
  const specFor = (record: WebhookRecord): WebhookSpec => {
    const hit = specs.get(record.id);
    if (hit && hit.generation === record.generation) return hit.spec;
    const spec = webhookSpec.parse(record.spec);
    if (specs.size > 10_000) specs.clear();
    specs.set(record.id, { generation: record.generation, spec });
    return spec;
  };

  return async function resolveEndpoint(endpointId: string): Promise<StageResult<{ webhook: ResolvedWebhook }>> {
    let record: WebhookRecord | null;
    try {
      record = await deps.lookups.webhookByEndpointId(endpointId);
    } catch (err) {
      return storeFailure('resolving endpoint', err);
    }
    if (!record) return { kind: 'endpoint_not_found' };
    try {
      const spec = specFor(record);
      const profile = getProfile(spec.profile);
      if (!profile) throw new Error(`profile ${spec.profile} is not available`);
      return next({ webhook: { record, spec, profile } });
    } catch (err) {
      deps.logger.error('stored webhook spec is invalid', { webhook: record.name, error: (err as Error).message });
      return { kind: 'webhook_invalid' };
    }
  };
}
