/**
 * Stage 3: the webhook's secrets, then either a provider handshake the profile recognises
 * (signed ones are verified by the profile itself) or a verified signature. The handshake is
 * only answered after the webhook's conditions hold (see admit.ts).
 */
import { secretRefs } from '../../resources/schemas';
import type { IngressLookups } from './lookups';
import type { ChallengeResponse, InboundRequest, VerifyOptions } from '../../verify/types';
import { tooDeepMessage } from '../../resources/json-limits';
import { parsePayload, type ParsedPayload } from '../payload';
import { resolveSecrets } from '../../resources/secret-resolver';
import type { ResolvedWebhook } from './context';
import { claimedEventId } from './event-identity';
import { safely } from './safely';
import { next, storeFailure, type StageResult, type Verdict } from './verdict';

/** A signed delivery, or a handshake still to be answered; the body parsed for what follows. */
export interface Authenticated {
  parsed: ParsedPayload;
  handshake?: ChallengeResponse;
}

/** A missing Secret is the operator's problem: its name goes to the history (`reason`), not to the sender. */
export function secretUnavailable(reason: string, eventId: string | null = null): Verdict {
  const message = 'This webhook cannot verify deliveries yet.';
  return { kind: 'refused', status: 401, code: 'secret_unavailable', message, reason, eventId };
}

export async function verifyDelivery(
  deps: { lookups: IngressLookups; maxJsonDepth: number },
  webhook: ResolvedWebhook,
  inbound: InboundRequest,
): Promise<StageResult<Authenticated>> {
  const { record, spec, profile } = webhook;
  let secrets: string[];
  try {
    const refs = secretRefs(spec);
    const resolved = await resolveSecrets(deps.lookups.secrets, record.namespace, refs);
    // Profile `custom` may have no secret of its own: its conditions carry theirs.
    if (resolved.values.length === 0 && refs.length > 0)
      return secretUnavailable(`no usable secret: ${resolved.missing.join(', ')} not found; apply the Secret`);
    secrets = resolved.values;
  } catch (err) {
    return storeFailure('reading secrets', err);
  }

  // Only an explicit spec value overrides the profile's own default (some sign no timestamp, or
  // document none, like SendGrid).
  const options: VerifyOptions =
    spec.timestampTolerance === undefined ? {} : { timestampToleranceSeconds: spec.timestampTolerance };
  const maxDepth = spec.limits?.maxDepth ?? deps.maxJsonDepth;
  const parsed = parsePayload(inbound.rawBody, inbound.headers['content-type'], maxDepth);
  // Before the handshake, conditions, filters, templates and the store: every one of them recurses.
  if (!parsed.ok && parsed.code === 'payload_too_deep') {
    const message = tooDeepMessage(maxDepth, 'spec.limits.maxDepth');
    return { kind: 'refused', status: 400, code: 'payload_too_deep', message, reason: parsed.reason };
  }

  // A handshake first: the profile verifies signed handshakes itself, and answers the few that
  // providers document as unsigned (Slack's ssl_check) without one.
  const handshake = parsed.ok
    ? safely(() => profile.challenge?.(inbound, parsed.payload, secrets, options))
    : undefined;
  if (handshake) return next({ parsed, handshake });

  const verification = safely(() => profile.verify(inbound, secrets, options)) ?? {
    ok: false as const,
    code: 'signature_malformed' as const,
    reason: 'the signature could not be checked',
  };
  if (!verification.ok) {
    const { code, reason } = verification;
    const eventId = claimedEventId(webhook, inbound, undefined);
    return { kind: 'refused', status: 401, code, message: reason, reason: `${code}: ${reason}`, eventId };
  }
  return next({ parsed });
}
