import { defineProfile, THREE_DAYS_SECONDS } from '../define-profile';
import { hmacSha256 } from '../signature-algorithms';

/**
 * Shopify: `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256(client secret, rawBody)>`; the newer
 * unprefixed `shopify-*` names are read too. No timestamp is signed: dedup on
 * `X-Shopify-Webhook-Id` is the replay guard (72 h). After a secret rotation Shopify may sign
 * with the old secret for up to an hour: configure both.
 */
export const shopifyProfile = defineProfile({
  name: 'shopify',
  description: 'Shopify: X-Shopify-Hmac-Sha256 (base64 HMAC of the body), X-Shopify-Webhook-Id, X-Shopify-Topic',
  defaultDedupWindowSeconds: THREE_DAYS_SECONDS,
  algorithm: hmacSha256,
  signature: { headers: ['x-shopify-hmac-sha256', 'shopify-hmac-sha256'], format: { prefix: '' }, encoding: 'base64' },
  eventId: [{ header: 'x-shopify-webhook-id' }, { header: 'shopify-webhook-id' }],
  sourceEvent: [{ header: 'x-shopify-topic' }, { header: 'shopify-topic' }],
});
