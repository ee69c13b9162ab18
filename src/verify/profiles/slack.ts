import { defineProfile, FIVE_MINUTES_SECONDS, jsonChallengeResponse, ONE_DAY_SECONDS } from '../define-profile';
import { valueAt } from '../request-fields';
import { hmacSha256 } from '../signature-algorithms';

/**
 * Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256(secret, "v0:{ts}:{rawBody}")>` with
 * `X-Slack-Request-Timestamp`, ±300 s (Slack's docs say "more than five minutes from local
 * time"; Bolt JS checks only the past, python-slack-sdk both ways — we take both).
 * Event id: the Events API's `event_id`; slash commands and interactive posts carry none, so
 * their `trigger_id` (top level, or inside the form field `payload`) stands in — Slack does
 * not retry those, so it is unique per request.
 * Handshakes: `url_verification` is answered with `{"challenge": …}` only once verified;
 * `ssl_check=1` is documented as unsigned and gets an empty 200 without a signature.
 */
export const slackProfile = defineProfile({
  name: 'slack',
  description:
    'Slack: X-Slack-Signature (v0=<hex HMAC of "v0:{ts}:{body}">), X-Slack-Request-Timestamp; event_id or trigger_id',
  defaultDedupWindowSeconds: ONE_DAY_SECONDS,
  defaultTimestampToleranceSeconds: FIVE_MINUTES_SECONDS,
  algorithm: hmacSha256,
  signature: { headers: ['x-slack-signature'], format: { prefix: 'v0=' }, encoding: 'hex' },
  signedContent: 'v0:{timestamp}:{body}',
  timestamp: { from: { headers: ['x-slack-request-timestamp'] } },
  eventId: [{ body: ['event_id'] }, { body: ['trigger_id'] }, { body: ['payload', 'trigger_id'] }],
  sourceEvent: [{ body: ['event', 'type'] }, { body: ['type'] }, { body: ['command'] }, { body: ['payload', 'type'] }],
  handshake(body, verifiedSecret) {
    if (valueAt(body, ['ssl_check']) === '1') return { status: 200, contentType: 'text/plain', body: '' };
    const challenge = valueAt(body, ['type']) === 'url_verification' ? valueAt(body, ['challenge']) : undefined;
    return challenge !== undefined && verifiedSecret() !== undefined ? jsonChallengeResponse({ challenge }) : undefined;
  },
});
