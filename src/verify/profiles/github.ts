import { defineProfile, THREE_DAYS_SECONDS } from '../define-profile';
import { hmacSha256 } from '../signature-algorithms';

/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, rawBody)>`. The legacy SHA-1
 * `X-Hub-Signature` is never accepted, so a request cannot be downgraded to it.
 * GitHub signs no timestamp, so the dedup window is the only replay guard; redeliveries keep
 * their `X-GitHub-Delivery` and may be requested days later, hence 72 h.
 */
export const githubProfile = defineProfile({
  name: 'github',
  description: 'GitHub: X-Hub-Signature-256 (sha256=<hex HMAC of the body>), X-GitHub-Delivery, X-GitHub-Event',
  defaultDedupWindowSeconds: THREE_DAYS_SECONDS,
  algorithm: hmacSha256,
  signature: { headers: ['x-hub-signature-256'], format: { prefix: 'sha256=' }, encoding: 'hex' },
  eventId: [{ header: 'x-github-delivery' }],
  sourceEvent: [{ header: 'x-github-event' }],
});
