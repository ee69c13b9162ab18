import { defineProfile, FIVE_MINUTES_SECONDS, ONE_DAY_SECONDS } from '../define-profile';
import { hmacSha256 } from '../signature-algorithms';

/**
 * tempohook's own contract for senders without a provider scheme:
 * `X-Signature: sha256=<hex HMAC-SHA256(secret, X-Timestamp + "." + rawBody)>`, `X-Timestamp`
 * in unix seconds (±300 s), `X-Event-Id` required, `X-Event-Type` optional.
 * The event id is not signed; the signed timestamp bounds how long a captured delivery can be
 * replayed under a different id.
 */
export const genericProfile = defineProfile({
  name: 'generic',
  description: 'X-Signature: sha256=<hex HMAC-SHA256 of "{X-Timestamp}.{body}">, X-Timestamp (unix s), X-Event-Id',
  defaultDedupWindowSeconds: ONE_DAY_SECONDS,
  defaultTimestampToleranceSeconds: FIVE_MINUTES_SECONDS,
  algorithm: hmacSha256,
  signature: { headers: ['x-signature'], format: { prefix: 'sha256=' }, encoding: 'hex' },
  signedContent: '{timestamp}.{body}',
  timestamp: { from: { headers: ['x-timestamp'] } },
  eventId: [{ header: 'x-event-id' }],
  sourceEvent: [{ header: 'x-event-type' }],
});
