import { hmac } from '../crypto';
import { defineProfile, FIVE_MINUTES_SECONDS, jsonChallengeResponse, ONE_DAY_SECONDS } from '../define-profile';
import { valueAt } from '../request-fields';
import { hmacSha256 } from '../signature-algorithms';

/**
 * Zoom: `x-zm-signature: v0=<hex HMAC-SHA256(secret token, "v0:{ts}:{rawBody}")>` with
 * `x-zm-request-timestamp` (seconds; milliseconds are recognised), ±300 s: Zoom documents no
 * tolerance, this is the common choice. Zoom sends no documented delivery id; a retry resends
 * the same body (its `event_ts` is in ms), so the body's SHA-256 is the event id.
 * `endpoint.url_validation` is answered with `{plainToken, encryptedToken}` once verified,
 * `encryptedToken` being the hex HMAC of `plainToken` under the secret that verified.
 */
export const zoomProfile = defineProfile({
  name: 'zoom',
  description:
    'Zoom: x-zm-signature (v0=<hex HMAC of "v0:{ts}:{body}">), x-zm-request-timestamp; url_validation answered',
  defaultDedupWindowSeconds: ONE_DAY_SECONDS,
  defaultTimestampToleranceSeconds: FIVE_MINUTES_SECONDS,
  algorithm: hmacSha256,
  signature: { headers: ['x-zm-signature'], format: { prefix: 'v0=' }, encoding: 'hex' },
  signedContent: 'v0:{timestamp}:{body}',
  timestamp: { from: { headers: ['x-zm-request-timestamp'] }, unit: 'auto' },
  eventId: [{ bodySha256: true }],
  sourceEvent: [{ body: ['event'] }],
  handshake(body, verifiedSecret) {
    if (valueAt(body, ['event']) !== 'endpoint.url_validation') return undefined;
    const plainToken = valueAt(body, ['payload', 'plainToken']);
    const secret = plainToken === undefined ? undefined : verifiedSecret();
    if (plainToken === undefined || secret === undefined) return undefined;
    return jsonChallengeResponse({ plainToken, encryptedToken: hmac('sha256', secret, plainToken).toString('hex') });
  },
});
