import { defineProfile, THREE_DAYS_SECONDS } from '../define-profile';
import { ecdsaP256Sha256 } from '../signature-algorithms';

/**
 * SendGrid signed Event Webhook: ECDSA P-256/SHA-256 over `"{timestamp}{rawBody}"` (no
 * separator; the body's trailing CRLFs are signed), DER signature in base64. The "secret" is
 * the verification key from SendGrid (base64 DER SPKI, or PEM); `sign` takes a private key.
 * A delivery is a batch of events and is deduplicated as one, by its first `sg_event_id`.
 * SendGrid documents no tolerance and retries for up to 72 h, so none is enforced by default
 * (pass `timestampToleranceSeconds` to enforce one) and dedup covers the retry span.
 */
export const sendgridProfile = defineProfile({
  name: 'sendgrid',
  description: 'SendGrid Event Webhook: ECDSA P-256 signature of "{timestamp}{body}"; secret = verification public key',
  defaultDedupWindowSeconds: THREE_DAYS_SECONDS,
  algorithm: ecdsaP256Sha256,
  signature: { headers: ['x-twilio-email-event-webhook-signature'], format: { prefix: '' }, encoding: 'base64' },
  signedContent: '{timestamp}{body}',
  timestamp: { from: { headers: ['x-twilio-email-event-webhook-timestamp'] } },
  eventId: [{ body: [0, 'sg_event_id'] }],
  sourceEvent: [{ body: [0, 'event'] }],
});
