import { defineProfile, THREE_DAYS_SECONDS } from '../define-profile';
import { hmacSha256 } from '../signature-algorithms';

/**
 * Bitbucket: `X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, rawBody)>` (SHA-256 under the
 * name GitHub uses for SHA-1). No timestamp is signed: dedup on `X-Request-UUID` (Cloud) or
 * `X-Request-Id` (Data Center) is the replay guard (72 h).
 */
export const bitbucketProfile = defineProfile({
  name: 'bitbucket',
  description: 'Bitbucket: X-Hub-Signature (sha256=<hex HMAC of the body>), X-Request-UUID, X-Event-Key',
  defaultDedupWindowSeconds: THREE_DAYS_SECONDS,
  algorithm: hmacSha256,
  signature: { headers: ['x-hub-signature'], format: { prefix: 'sha256=' }, encoding: 'hex' },
  eventId: [{ header: 'x-request-uuid' }, { header: 'x-request-id' }],
  sourceEvent: [{ header: 'x-event-key' }],
});
