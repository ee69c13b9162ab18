import { defineProfile, THREE_DAYS_SECONDS } from '../define-profile';
import { hmacAlgorithm } from '../signature-algorithms';

/**
 * Microsoft Teams outgoing webhooks: `Authorization: HMAC <base64 HMAC-SHA256(key, rawBody)>`
 * where the key is the base64-decoded security token Teams shows once. No timestamp is
 * signed, so dedup on the activity `id` is the only replay guard (72 h).
 */
export const msteamsProfile = defineProfile({
  name: 'msteams',
  description:
    'Microsoft Teams outgoing webhook: Authorization: HMAC <base64 HMAC of the body, base64-decoded token as key>',
  defaultDedupWindowSeconds: THREE_DAYS_SECONDS,
  algorithm: hmacAlgorithm('sha256', 'base64'),
  signature: { headers: ['authorization'], format: { prefix: 'HMAC ' }, encoding: 'base64' },
  eventId: [{ body: ['id'] }],
  sourceEvent: [{ body: ['type'] }],
});
