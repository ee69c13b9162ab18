/**
 * What is known about a delivery once it is answered, for the observers that report it: the
 * access log line (always), metrics and tracing (when configured). Observers are synchronous and
 * cheap; one that throws is ignored, never the answer.
 */
import type { IngressMetrics } from '../../metrics';
import type { DeliveryOutcome } from '../../store/types';
import type { DeliveryContext } from './context';
import type { Verdict } from './verdict';

/** The delivery log's outcomes, and the answers that leave no row there. */
export type ObservedOutcome = DeliveryOutcome | 'unavailable' | 'not_found' | 'webhook_invalid';

export interface DeliveryObservation {
  requestId: string;
  ctx: DeliveryContext;
  verdict: Verdict;
  outcome: ObservedOutcome;
  /** The HTTP status answered. */
  status: number;
  /** From the request's arrival to the answer written. */
  durationMs: number;
}

export type DeliveryObserver = (observation: DeliveryObservation) => void;

export function outcomeOf(verdict: Verdict): ObservedOutcome {
  switch (verdict.kind) {
    case 'accepted':
      return verdict.completion.outcome;
    case 'refused':
      return 'rejected';
    case 'start_refused':
      return 'failed';
    case 'handshake':
      return 'challenge';
    case 'ignored':
      return 'ignored';
    case 'unavailable':
      return 'unavailable';
    case 'endpoint_not_found':
      return 'not_found';
    case 'webhook_invalid':
      return 'webhook_invalid';
  }
}

/** A field from the request, bounded so a hostile value cannot make a huge log line. */
const bounded = (value: string, max: number) => (value.length > max ? `${value.slice(0, max)}…` : value);

/**
 * The access log line's fields: webhook, event id, outcome, status, duration, request id — and
 * why, for refusals. Never a header, a body, a secret or a signature.
 */
export function accessLogFields(o: DeliveryObservation): Record<string, unknown> {
  const { ctx, verdict } = o;
  const webhook = ctx.webhook?.record;
  const claimedEventId = verdict.kind === 'refused' || verdict.kind === 'ignored' ? verdict.eventId : undefined;
  const eventId = ctx.eventId ?? claimedEventId;
  return {
    requestId: o.requestId,
    ...(webhook ? { webhook: `${webhook.namespace}/${webhook.name}` } : { endpointId: bounded(ctx.endpointId, 64) }),
    ...(eventId ? { eventId: bounded(eventId, 200) } : {}),
    outcome: o.outcome,
    status: o.status,
    durationMs: Math.round(o.durationMs * 10) / 10,
    ...(verdict.kind === 'refused' ? { code: verdict.code } : {}),
    ...(verdict.kind === 'unavailable' ? { dependency: verdict.dependency } : {}),
    ...(verdict.kind === 'accepted' ? { deliveryId: verdict.answer.deliveryId } : {}),
    ...(verdict.kind === 'accepted' && verdict.answer.workflowId ? { workflowId: verdict.answer.workflowId } : {}),
  };
}

/** Counts and times every delivery on the ingress's metrics. */
export function metricsObserver(metrics: IngressMetrics): DeliveryObserver {
  return ({ ctx, verdict, outcome, status, durationMs }) => {
    const webhook = ctx.webhook;
    metrics.observeDelivery({
      webhook: webhook ? `${webhook.record.namespace}/${webhook.record.name}` : '',
      profile: webhook?.profile.name ?? '',
      outcome,
      status,
      durationMs,
      stages: ctx.timings,
      ...(verdict.kind === 'refused' ? { refusalCode: verdict.code } : {}),
    });
  };
}
