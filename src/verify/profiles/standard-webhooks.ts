import { defineProfile, FIVE_MINUTES_SECONDS, THREE_DAYS_SECONDS } from '../define-profile';
import { hmacAlgorithm } from '../signature-algorithms';

/**
 * Standard Webhooks, and Svix (the same scheme under `svix-*` header names):
 * `webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{ts}.{rawBody}")> [v1,… ]`, the key
 * being the base64 after `whsec_`. Every `v1` entry is tried; `v1a` (asymmetric) and unknown
 * entries are skipped. ±300 s as the spec's libraries check. Senders retry for about three
 * days under the same `webhook-id`, hence 72 h of dedup.
 */
export const standardWebhooksProfile = defineProfile({
  name: 'standard-webhooks',
  description:
    'Standard Webhooks / Svix: webhook-id, webhook-timestamp, webhook-signature (v1,<base64>); whsec_ secret',
  defaultDedupWindowSeconds: THREE_DAYS_SECONDS,
  defaultTimestampToleranceSeconds: FIVE_MINUTES_SECONDS,
  algorithm: hmacAlgorithm('sha256', 'whsec'),
  signature: {
    headers: ['webhook-signature', 'svix-signature'],
    format: { separator: ' ', assign: ',', scheme: 'v1' },
    encoding: 'base64',
  },
  signedContent: '{id}.{timestamp}.{body}',
  timestamp: { from: { headers: ['webhook-timestamp', 'svix-timestamp'] } },
  eventId: [{ header: 'webhook-id' }, { header: 'svix-id' }],
  sourceEvent: [{ body: ['type'] }],
});
