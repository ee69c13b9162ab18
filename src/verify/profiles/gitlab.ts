import { defineProfile, THREE_DAYS_SECONDS } from '../define-profile';
import { sharedToken } from '../signature-algorithms';

/**
 * GitLab: the secret token itself in `X-Gitlab-Token`, compared in constant time; nothing is
 * signed, so dedup is the only replay guard (72 h). `Idempotency-Key` is stable across
 * GitLab's retries; `X-Gitlab-Webhook-UUID` is new per request and only a fallback.
 * (`X-Gitlab-Event-UUID` is a recursion-chain id, not a delivery id.)
 */
export const gitlabProfile = defineProfile({
  name: 'gitlab',
  description: 'GitLab: X-Gitlab-Token (shared secret), Idempotency-Key, X-Gitlab-Event',
  defaultDedupWindowSeconds: THREE_DAYS_SECONDS,
  algorithm: sharedToken,
  signature: { headers: ['x-gitlab-token'], format: { prefix: '' }, encoding: 'utf8' },
  eventId: [{ header: 'idempotency-key' }, { header: 'x-gitlab-webhook-uuid' }],
  sourceEvent: [{ header: 'x-gitlab-event' }],
});
