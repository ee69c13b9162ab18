import { defineProfile, FIVE_MINUTES_SECONDS, THREE_DAYS_SECONDS } from '../define-profile';
import { hmacSha256 } from '../signature-algorithms';

/**
 * Stripe: `Stripe-Signature: t=<unix s>,v1=<hex>[,v1=<hex>…][,v0=…]` over `"{t}.{rawBody}"`,
 * keyed with the whole `whsec_…` string (not base64-decoded). Every `v1` is tried (several
 * appear while a secret rolls); `v0` and other schemes are ignored so a request cannot be
 * downgraded. Like stripe-node, only a too-old `t` is rejected: `t` is signed, so a future one
 * can only come from Stripe's own clock, and accepting it keeps us in step with the reference
 * library. Stripe retries for up to three days, re-signing each attempt, hence 72 h of dedup
 * on the body's `id`.
 */
export const stripeProfile = defineProfile({
  name: 'stripe',
  description: 'Stripe: Stripe-Signature (t=…,v1=<hex HMAC of "{t}.{body}">), event id = body id',
  defaultDedupWindowSeconds: THREE_DAYS_SECONDS,
  defaultTimestampToleranceSeconds: FIVE_MINUTES_SECONDS,
  algorithm: hmacSha256,
  signature: { headers: ['stripe-signature'], format: { separator: ',', assign: '=', scheme: 'v1' }, encoding: 'hex' },
  signedContent: '{timestamp}.{body}',
  timestamp: { from: { signatureEntry: 't' }, futureAllowed: true },
  eventId: [{ body: ['id'] }],
  sourceEvent: [{ body: ['type'] }],
});
