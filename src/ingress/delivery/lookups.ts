/**
 * The reads every delivery makes before it is verified — its webhook by endpoint id, and the
 * Secrets its signature and conditions name — cached in this replica and dropped on any change
 * of the kind announced by the store's change feed (see store/lookup-cache.ts). A warm
 * delivery, and every unknown endpoint or failed signature after the first, costs no store
 * session before the reservation.
 */
import { createLookupCache } from '../../store/lookup-cache';
import type { SecretRecord, Store, WebhookRecord } from '../../store/types';

export interface IngressLookups {
  webhookByEndpointId(endpointId: string): Promise<WebhookRecord | null>;
  /** What `resolveSecrets` reads from: the store's secrets, through the cache. */
  secrets: Pick<Store, 'secrets'>;
  close(): void;
}

export function createIngressLookups(
  store: Pick<Store, 'webhooks' | 'secrets' | 'changes'>,
  ttlMs?: number,
): IngressLookups {
  const common = { changes: store.changes, ...(ttlMs === undefined ? {} : { ttlMs }) };
  const webhooks = createLookupCache<WebhookRecord | null>({
    ...common,
    kind: 'webhook',
    load: (endpointId) => store.webhooks.getByEndpointId(endpointId),
  });
  const secrets = createLookupCache<SecretRecord | null>({
    ...common,
    kind: 'secret',
    load: (key) => {
      const [namespace, name] = JSON.parse(key) as [string, string];
      return store.secrets.get(namespace, name);
    },
  });
  return {
    webhookByEndpointId: (endpointId) => webhooks.get(endpointId),
    secrets: {
      secrets: { ...store.secrets, get: (namespace, name) => secrets.get(JSON.stringify([namespace, name])) },
    },
    close() {
      webhooks.close();
      secrets.close();
    },
  };
}
