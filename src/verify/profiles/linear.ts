import { defineProfile, ONE_DAY_SECONDS } from '../define-profile';
import { hmacSha256 } from '../signature-algorithms';

/** Linear's SDK allows one minute either way on `webhookTimestamp`. */
const LINEAR_TOLERANCE_SECONDS = 60;

/**
 * Linear: `Linear-Signature: <hex HMAC-SHA256(secret, rawBody)>`. The only trusted time is the
 * body's `webhookTimestamp` (milliseconds), read after the signature holds; a
 * `Linear-Timestamp` header is ignored, as @linear/sdk does. `sign` cannot set it: the body
 * must carry it.
 */
export const linearProfile = defineProfile({
  name: 'linear',
  description: 'Linear: Linear-Signature (hex HMAC of the body), body webhookTimestamp (ms, ±60 s), Linear-Delivery',
  defaultDedupWindowSeconds: ONE_DAY_SECONDS,
  defaultTimestampToleranceSeconds: LINEAR_TOLERANCE_SECONDS,
  algorithm: hmacSha256,
  signature: { headers: ['linear-signature'], format: { prefix: '' }, encoding: 'hex' },
  timestamp: { from: { bodyField: 'webhookTimestamp' }, unit: 'ms' },
  eventId: [{ header: 'linear-delivery' }],
  sourceEvent: [{ header: 'linear-event' }, { body: ['type'] }],
});
