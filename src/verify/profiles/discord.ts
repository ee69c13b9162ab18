import { defineProfile, FIVE_MINUTES_SECONDS, jsonChallengeResponse, ONE_DAY_SECONDS } from '../define-profile';
import { valueAt } from '../request-fields';
import { ed25519 } from '../signature-algorithms';

/**
 * Discord interactions: `X-Signature-Ed25519: <hex Ed25519 signature of "{ts}{rawBody}">` with
 * `X-Signature-Timestamp`. The "secret" is the application's public key (64 hex); `sign`
 * takes the private key (PEM, base64 PKCS#8, or the 64-hex seed). Discord's library enforces
 * no tolerance; interactions are answered within 3 s and never retried, so ±300 s costs
 * nothing and bounds replay. PING (`type` 1) is answered with PONG `{"type":1}` once verified
 * (Discord deliberately sends bad signatures to check that they get a 401).
 */
export const discordProfile = defineProfile({
  name: 'discord',
  description:
    'Discord interactions: X-Signature-Ed25519 over "{timestamp}{body}"; secret = application public key (hex)',
  defaultDedupWindowSeconds: ONE_DAY_SECONDS,
  defaultTimestampToleranceSeconds: FIVE_MINUTES_SECONDS,
  algorithm: ed25519,
  signature: { headers: ['x-signature-ed25519'], format: { prefix: '' }, encoding: 'hex' },
  signedContent: '{timestamp}{body}',
  timestamp: { from: { headers: ['x-signature-timestamp'] } },
  eventId: [{ body: ['id'] }],
  sourceEvent: [{ body: ['type'] }],
  handshake(body, verifiedSecret) {
    return valueAt(body, ['type']) === '1' && verifiedSecret() !== undefined
      ? jsonChallengeResponse({ type: 1 })
      : undefined;
  },
});
