/**
 * Stage 4: whether a signed delivery is let in. In order: the webhook's conditions hold (a
 * handshake is answered here, once they do), the rate limit has room (handshakes are not
 * counted), the body parsed, the event has a usable id, and the filters pass (a filtered
 * delivery is a 202 that holds no key).
 */
import { conditionSecretRefs, describeWindow, evaluateConditions, rateLimitWindows } from '../../conditions';
import { applyFilters, normalizePayload, type NormalizedPayload } from '../../filters';
import type { Store } from '../../store/types';
import type { IngressLookups } from './lookups';
import type { InboundRequest } from '../../verify/types';
import { resolveSecrets } from '../../resources/secret-resolver';
import type { ResolvedWebhook } from './context';
import { claimedEventId, identifyEvent } from './event-identity';
import { safely } from './safely';
import { secretUnavailable, type Authenticated } from './verify';
import { next, storeFailure, type StageResult, type Verdict } from './verdict';

/** A delivery let in: its payload and the event it is. */
export interface AdmittedEvent {
  payload: unknown;
  eventId: string;
  sourceEvent: string | null;
  normalized: NormalizedPayload | undefined;
}

/** A signed request before admission; its payload is undefined when the body did not parse. */
interface SignedRequest {
  webhook: ResolvedWebhook;
  inbound: InboundRequest;
  payload: unknown;
}

export async function admit(
  deps: { store: Store; lookups: IngressLookups },
  webhook: ResolvedWebhook,
  inbound: InboundRequest,
  { parsed, handshake }: Authenticated,
  /** A replay was verified on arrival: its conditions and rate limit are not checked again. */
  options: { replay?: boolean } = {},
): Promise<StageResult<{ event: AdmittedEvent }>> {
  const { spec } = webhook;
  const request: SignedRequest = { webhook, inbound, payload: parsed.ok ? parsed.payload : undefined };
  if (spec.conditions && !options.replay) {
    const refused = await checkConditions(deps, request);
    if (refused) return refused;
  }
  if (handshake) return { kind: 'handshake', challenge: handshake };
  if (spec.conditions && !options.replay) {
    const limited = await countRateLimit(deps, request);
    if (limited) return limited;
  }

  // Verified from here on: a refusal keeps the delivery's payload (`verified`).
  if (!parsed.ok)
    return {
      kind: 'refused',
      status: 400,
      code: parsed.code,
      message: parsed.reason,
      reason: parsed.reason,
      verified: true,
    };
  const payload = parsed.payload;
  const identity = identifyEvent(webhook, inbound, payload);
  if (!identity.ok) {
    const { code, message, reason, sourceEvent } = identity;
    return { kind: 'refused', status: 400, code, message, reason, eventId: null, sourceEvent, verified: true };
  }
  const { eventId, sourceEvent } = identity;

  // Filtered before the dedup reservation: an ignored delivery holds no key, so a later
  // redelivery after the filter changes can still start a run.
  const headers = inbound.headers;
  const normalized = safely(() => normalizePayload(payload, headers));
  const filtered = safely(() => applyFilters(spec.filters, { payload, headers, normalized })) ?? {
    pass: false as const,
    reason: 'the filters could not be evaluated on this payload',
  };
  if (!filtered.pass) return { kind: 'ignored', reason: filtered.reason, eventId, sourceEvent };
  return next({ event: { payload, eventId, sourceEvent, normalized } });
}

/**
 * Resolves each condition's secrets and evaluates `spec.conditions`: undefined when all hold,
 * the refusal otherwise (its code and reason carry no secret or token).
 */
async function checkConditions(
  deps: { lookups: IngressLookups },
  request: SignedRequest,
): Promise<Verdict | undefined> {
  const { webhook, inbound, payload } = request;
  const { record, spec } = webhook;
  const conditions = spec.conditions ?? [];
  const claimedId = claimedEventId(webhook, inbound, payload);
  const secrets: string[][] = [];
  try {
    for (const [index, condition] of conditions.entries()) {
      const refs = conditionSecretRefs(condition);
      const resolved = await resolveSecrets(deps.lookups.secrets, record.namespace, refs);
      if (refs.length > 0 && resolved.values.length === 0) {
        const reason = `conditions[${index}] (${condition.type}): no usable secret: ${resolved.missing.join(', ')} not found; apply the Secret`;
        return secretUnavailable(`secret_unavailable: ${reason}`, claimedId);
      }
      secrets.push(resolved.values);
    }
  } catch (err) {
    return storeFailure('reading condition secrets', err);
  }
  const result = await evaluateConditions(conditions, { inbound, payload, secrets, now: inbound.receivedAt });
  if (result.ok) return undefined;
  const { code, reason } = result;
  return { kind: 'refused', status: 401, code, message: reason, reason: `${code}: ${reason}`, eventId: claimedId };
}

/** Counts a delivery against the webhook's `rate-limit` windows: undefined while under quota. */
async function countRateLimit(deps: { store: Store }, request: SignedRequest): Promise<Verdict | undefined> {
  const { webhook, inbound, payload } = request;
  const windows = rateLimitWindows(webhook.spec.conditions);
  if (windows.length === 0) return undefined;
  let quota;
  try {
    quota = await deps.store.rateLimits.hit(webhook.record.id, windows);
  } catch (err) {
    return storeFailure('counting the rate limit', err);
  }
  if (quota.allowed) return undefined;
  const reason = `rate limit of ${describeWindow(quota.window)} reached; retry in ${quota.retryAfterSeconds} s`;
  return {
    kind: 'refused',
    status: 429,
    code: 'rate_limited',
    message: reason,
    reason,
    eventId: claimedEventId(webhook, inbound, payload),
    retryAfterSeconds: quota.retryAfterSeconds,
    verified: true,
  };
}
