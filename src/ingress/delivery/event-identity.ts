/**
 * Which event a delivery is: the provider's event id (the dedup key) and event type. Values
 * from the body reach Postgres text columns and Temporal keywords, so they are checked here.
 */
import type { InboundRequest } from '../../verify/types';
import type { ResolvedWebhook } from './context';
import { safely } from './safely';

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;
// eslint-disable-next-line no-control-regex -- a separate non-global copy: .test() on a /g regex keeps state between calls
const HAS_CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;
const MAX_ID_LENGTH = 255;

export type EventIdentity =
  | { ok: true; eventId: string; sourceEvent: string | null }
  | {
      ok: false;
      code: 'event_id_missing' | 'event_id_invalid';
      message: string;
      reason: string;
      sourceEvent: string | null;
    };

/** The event id a request claims (unverified): what an operator searches the history for. */
export function claimedEventId(
  webhook: Pick<ResolvedWebhook, 'spec' | 'profile'>,
  inbound: InboundRequest,
  payload: unknown,
): string | null {
  const { spec, profile } = webhook;
  const id = spec.eventIdHeader
    ? inbound.headers[spec.eventIdHeader.toLowerCase()]
    : safely(() => profile.eventId(inbound, payload));
  return id?.slice(0, MAX_ID_LENGTH) ?? null;
}

/** The verified event id and source event of a parsed delivery, or why it has no usable id. */
export function identifyEvent(
  webhook: Pick<ResolvedWebhook, 'spec' | 'profile'>,
  inbound: InboundRequest,
  payload: unknown,
): EventIdentity {
  const { spec, profile } = webhook;
  const sourceEvent =
    profile.sourceEvent(inbound, payload)?.replace(CONTROL_CHARACTERS, '').slice(0, MAX_ID_LENGTH) || null;
  const eventId = spec.eventIdHeader
    ? inbound.headers[spec.eventIdHeader.toLowerCase()]
    : profile.eventId(inbound, payload);
  if (!eventId) {
    const where = spec.eventIdHeader ? `header ${spec.eventIdHeader}` : `the ${profile.name} profile's event id`;
    return {
      ok: false,
      code: 'event_id_missing',
      message: `The delivery has no event id (${where}); it is needed to deduplicate.`,
      reason: `event id missing (${where})`,
      sourceEvent,
    };
  }
  if (eventId.length > MAX_ID_LENGTH || HAS_CONTROL_CHARACTER.test(eventId)) {
    const reason =
      eventId.length > MAX_ID_LENGTH ? 'event id longer than 255 characters' : 'event id contains control characters';
    return { ok: false, code: 'event_id_invalid', message: `The ${reason}.`, reason, sourceEvent };
  }
  return { ok: true, eventId, sourceEvent };
}
