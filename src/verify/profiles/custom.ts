import { ONE_DAY_SECONDS } from '../define-profile';
import { headerValue } from '../request-fields';
import type { Profile } from '../types';
import { verified } from '../verify-result';

const EVENT_ID_HEADERS = ['x-event-id', 'idempotency-key', 'webhook-id'] as const;

/**
 * `custom`: NO signature of its own — `verify` always passes. It exists for senders whose only
 * proof is what `spec.conditions` checks (a static token, an HMAC template, a JWT, fixed
 * headers), and it is ONLY safe paired with them: the webhook schema refuses profile `custom`
 * without at least one condition, and the ingress evaluates conditions right after `verify`.
 * The event id is `X-Event-Id`, `Idempotency-Key` or `webhook-id`, else set `spec.eventIdHeader`.
 * Nothing here bounds replays except dedup (24 h) and whatever timestamp condition is configured.
 */
export const customProfile: Profile = {
  name: 'custom',
  description:
    'No signature of its own: spec.conditions (required) authenticate; event id from X-Event-Id, Idempotency-Key or webhook-id',
  defaultDedupWindowSeconds: ONE_DAY_SECONDS,
  // Its proof is whatever spec.conditions read; those name their own headers.
  credentialHeaders: [],
  verify: () => verified,
  eventId: (req) => headerValue(req, EVENT_ID_HEADERS),
  sourceEvent: (req) => headerValue(req, ['x-event-type']),
  sign: (_secret, input) => ({ 'x-event-id': input.eventId }),
};
