import { defineProfile, THREE_DAYS_SECONDS } from '../define-profile';
import { hmacSha256 } from '../signature-algorithms';

/**
 * PagerDuty v3: `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>]`, one entry per active secret,
 * each an HMAC-SHA256 of the raw body; any match passes. No timestamp is signed: dedup on
 * `X-Webhook-Id` (repeated on each attempt) is the replay guard (72 h).
 */
export const pagerdutyProfile = defineProfile({
  name: 'pagerduty',
  description: 'PagerDuty v3: X-PagerDuty-Signature (v1=<hex HMAC of the body>, comma list), X-Webhook-Id',
  defaultDedupWindowSeconds: THREE_DAYS_SECONDS,
  algorithm: hmacSha256,
  signature: {
    headers: ['x-pagerduty-signature'],
    format: { separator: ',', assign: '=', scheme: 'v1' },
    encoding: 'hex',
  },
  eventId: [{ header: 'x-webhook-id' }],
  sourceEvent: [{ body: ['event', 'event_type'] }],
});
